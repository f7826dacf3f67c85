/**
 * Athena: the project's workgroup (engine v3, enforced encrypted result location, a per-query
 * bytes-scanned cutoff as cost guard) and the named queries as saved queries, so operators
 * find and run the same SQL in the console (it prompts for the `?` parameters, in order).
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
  for (const q of queries) {
    const params = [...q.positional.order].map((p, i) => `${i + 1}:${p}`).join(' ');
    resources[`${pascal(q.name)}NamedQuery`] = {
      Type: 'AWS::Athena::NamedQuery',
      Properties: {
        Name: q.name,
        Description: `${q.description} Parameters in order: ${params}`.slice(0, 1024),
        Database: { Ref: 'GlueDatabase' },
        WorkGroup: { Ref: 'AthenaWorkGroup' },
        QueryString: q.positional.text,
      },
    };
  }
  return { Resources: resources };
};
