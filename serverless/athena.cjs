/**
 * Athena: the project's workgroup (engine v3, enforced encrypted result location, a per-query
 * bytes-scanned cutoff as cost guard) and the named queries (and their rollup paths) as saved
 * queries, so operators find and run the same SQL in the console (it prompts for the `?`
 * parameters, in order).
 */
const { queries, pascal } = require('./project.cjs');

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const cutoff = Number(await resolveVariable('param:bytesScannedCutoffBytes'));
  const resources = {
    AthenaWorkGroup: {
      Type: 'AWS::Athena::WorkGroup',
      Properties: {
        Name: `${service}-${stage}`,
        Description: 'lakegate named queries',
        State: 'ENABLED',
        RecursiveDeleteOption: true,
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          PublishCloudWatchMetricsEnabled: true,
          BytesScannedCutoffPerQuery: cutoff,
          EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
          ResultConfiguration: {
            OutputLocation: { 'Fn::Sub': 's3://${ResultsBucket}/athena/' },
            EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          },
        },
      },
    },
  };
  const saved = (name, description, positional) => ({
    Type: 'AWS::Athena::NamedQuery',
    Properties: {
      Name: name,
      Description: `${description} Parameters in order: ${[...positional.order].map((p, i) => `${i + 1}:${p}`).join(' ')}`.slice(0, 1024),
      Database: { Ref: 'GlueDatabase' },
      WorkGroup: { Ref: 'AthenaWorkGroup' },
      QueryString: positional.text,
    },
  });
  for (const q of queries) {
    resources[`${pascal(q.name)}NamedQuery`] = saved(q.name, q.description, q.positional);
    // The rollup path too (docs/design.md §12), so an operator can check in the console what a rollup-served answer ran.
    if (q.rollup) {
      resources[`${pascal(q.name)}RollupNamedQuery`] = saved(`${q.name}_rollup`, `Rollup path of ${q.name}: whole days [rollup_from, rollup_to) from ${q.rollup.table}, the rest raw.`, q.rollup.positional);
    }
  }
  return { Resources: resources };
};
