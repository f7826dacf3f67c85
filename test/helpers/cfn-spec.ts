/**
 * Checks a CloudFormation template against the CloudFormation resource specification
 * (@aws-cdk/cfnspec's spec/specification.json): every resource type exists; every property
 * exists, recursively into property types, lists and maps; required properties are present;
 * literal primitives have the right type. Values built by intrinsic functions are checked only
 * for being intrinsics (CloudFormation resolves them at deploy time).
 */
import { createRequire } from 'node:module';
import type { Template } from './template.ts';

interface PropertySpec {
  readonly Required?: boolean;
  readonly PrimitiveType?: string;
  readonly Type?: string;
  readonly ItemType?: string;
  readonly PrimitiveItemType?: string;
}
interface TypeSpec {
  readonly Properties?: Readonly<Record<string, PropertySpec>>;
}
interface Specification {
  readonly ResourceSpecificationVersion: string;
  readonly ResourceTypes: Readonly<Record<string, TypeSpec>>;
  readonly PropertyTypes: Readonly<Record<string, TypeSpec>>;
}

export const specification: Specification = createRequire(import.meta.url)('@aws-cdk/cfnspec/spec/specification.json');

/**
 * Properties newer than the bundled specification, each with the AWS documentation page that
 * names it. Keyed `Type.Property` (resource types) or `Type.PropertyType.Property`.
 */
export const NEWER_THAN_SPEC: Readonly<Record<string, string>> = {};

const INTRINSIC = /^(Ref|Condition|Fn::[A-Za-z]+)$/;
const isIntrinsic = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && INTRINSIC.test(Object.keys(v)[0]!);

function primitiveOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'String':
    case 'Timestamp':
      return typeof v === 'string';
    case 'Integer':
    case 'Long':
      return (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));
    case 'Double':
      return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
    case 'Boolean':
      return typeof v === 'boolean' || v === 'true' || v === 'false';
    case 'Json':
      return (typeof v === 'object' && v !== null) || typeof v === 'string';
    default:
      return false;
  }
}

/** Every error of a template, as `Logical.Path: problem` lines (empty = valid). */
export function checkTemplate(template: Template, spec: Specification = specification, allow = NEWER_THAN_SPEC): string[] {
  const errors: string[] = [];

  const typeSpec = (resourceType: string, name: string): TypeSpec | undefined =>
    spec.PropertyTypes[`${resourceType}.${name}`] ?? spec.PropertyTypes[name];

  function checkValue(where: string, resourceType: string, p: PropertySpec, v: unknown): void {
    if (isIntrinsic(v)) return;
    if (p.PrimitiveType) {
      if (!primitiveOk(p.PrimitiveType, v)) errors.push(`${where}: expected ${p.PrimitiveType}, got ${JSON.stringify(v)}`);
      return;
    }
    if (p.Type === 'List' || p.Type === 'Map') {
      const item: PropertySpec = p.PrimitiveItemType ? { PrimitiveType: p.PrimitiveItemType } : { Type: p.ItemType! };
      if (p.Type === 'List') {
        if (!Array.isArray(v)) return void errors.push(`${where}: expected a list`);
        v.forEach((x, i) => checkValue(`${where}[${i}]`, resourceType, item, x));
      } else {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return void errors.push(`${where}: expected a map`);
        for (const [k, x] of Object.entries(v)) checkValue(`${where}.${k}`, resourceType, item, x);
      }
      return;
    }
    const t = typeSpec(resourceType, p.Type!);
    if (!t) return void errors.push(`${where}: the specification has no property type ${p.Type}`);
    checkObject(where, resourceType, `${resourceType}.${p.Type}`, t, v);
  }

  function checkObject(where: string, resourceType: string, specName: string, t: TypeSpec, v: unknown): void {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return void errors.push(`${where}: expected an object`);
    const props = t.Properties ?? {};
    for (const [k, x] of Object.entries(v)) {
      const p = props[k];
      if (!p) {
        if (!(`${specName}.${k}` in allow)) errors.push(`${where}.${k}: no such property of ${specName}`);
        continue;
      }
      checkValue(`${where}.${k}`, resourceType, p, x);
    }
    for (const [k, p] of Object.entries(props)) {
      if (p.Required && !(k in (v as object))) errors.push(`${where}: required property ${k} is missing`);
    }
  }

  for (const [id, r] of Object.entries(template.Resources)) {
    const t = spec.ResourceTypes[r.Type];
    if (!t) {
      errors.push(`${id}: unknown resource type ${r.Type}`);
      continue;
    }
    checkObject(id, r.Type, r.Type, t, r.Properties ?? {});
  }
  return errors;
}
