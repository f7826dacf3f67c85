/**
 * Credentials on AWS (docs/design.md §9): the KMS signing keys of /oauth/token and the credentials
 * bucket of hashed client secrets.
 *
 * Signing keys are ECC_NIST_P256 / SIGN_VERIFY KMS keys: the private key never leaves KMS. Two
 * slots, A and B, let a rotation overlap: `params.acceptedSigningKeys` lists the slots that
 * exist (their public keys verify tokens and are published in the JWKS), and
 * `params.currentSigningKey` is the one that signs. Rotating from A to B is two deploys:
 * accepted `A,B` with current `B`; then, after the longest token lifetime plus the authorizer
 * cache, accepted `B` alone — CloudFormation schedules the retired key's deletion.
 *
 * The key policy gives `kms:*` to the account root only (so IAM policies decide); the token
 * function's role is the only one allowed kms:Sign (serverless/iam.cjs).
 */
const SLOTS = ['A', 'B'];

/** The stage's signing-key slots: `{ current, accepted }`, validated. */
async function signingKeys(resolveVariable) {
  const accepted = String(await resolveVariable('param:acceptedSigningKeys')).split(',').map((s) => s.trim()).filter(Boolean);
  const current = String(await resolveVariable('param:currentSigningKey')).trim();
  if (accepted.length === 0 || !accepted.every((s) => SLOTS.includes(s)) || new Set(accepted).size !== accepted.length) {
    throw new Error(`param acceptedSigningKeys must list slots among ${SLOTS.join(', ')}`);
  }
  if (!accepted.includes(current)) throw new Error('param currentSigningKey must be one of acceptedSigningKeys');
  const logical = (slot) => `SigningKey${slot}`;
  return { current: logical(current), accepted: accepted.map(logical) };
}

/** The file of hashed client secrets in the credentials bucket. */
const CREDENTIALS_KEY = 'client_secrets.jsonl';

const resources = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const { accepted } = await signingKeys(resolveVariable);
  const out = {};
  for (const id of accepted) {
    out[id] = {
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Description: `${service}-${stage}: signs /oauth/token access tokens (ES256)`,
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        Enabled: true,
        PendingWindowInDays: 7,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [{
            Sid: 'AccountRootOnly',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
            Action: 'kms:*',
            Resource: '*',
          }],
        },
      },
    };
  }
  out.CredentialsBucket = {
    Type: 'AWS::S3::Bucket',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: [{ Id: 'abort-incomplete-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] },
    },
  };
  out.CredentialsBucketPolicy = {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: 'CredentialsBucket' },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [{
          Sid: 'TlsOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [{ 'Fn::GetAtt': ['CredentialsBucket', 'Arn'] }, { 'Fn::Sub': '${CredentialsBucket.Arn}/*' }],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }],
      },
    },
  };
  return {
    Resources: out,
    Outputs: {
      CredentialsBucketName: { Description: 'Hashed client secrets (written by the operators: docs/aws.md)', Value: { Ref: 'CredentialsBucket' } },
      SigningKeyArn: { Description: 'The KMS key that signs /oauth/token access tokens', Value: { 'Fn::GetAtt': [(await signingKeys(resolveVariable)).current, 'Arn'] } },
    },
  };
};

/** The functions' environment: the signing keys, current first, and the credentials store. */
const environment = async ({ resolveVariable }) => {
  const { current, accepted } = await signingKeys(resolveVariable);
  return {
    LAKEGATE_SIGNING_KEY_IDS: { 'Fn::Join': [',', [current, ...accepted.filter((k) => k !== current)].map((k) => ({ 'Fn::GetAtt': [k, 'Arn'] }))] },
    LAKEGATE_CREDENTIALS_S3_URI: { 'Fn::Sub': `s3://\${CredentialsBucket}/${CREDENTIALS_KEY}` },
  };
};

module.exports = { resources, environment, signingKeys, CREDENTIALS_KEY };
