/**
 * One least-privilege role per kind of function, with no wildcard action anywhere:
 * - the authorizer reads the access-control object and the JWT public-key parameter;
 * - query functions run queries in this workgroup only, read the lake's table prefixes (not
 *   the access table) and this database's Glue catalog, and use the results prefix; they alone
 *   read the pseudonym secret (the engine's SQL masks personal data with it);
 * - whoami only writes its logs.
 * - the public function (OpenAPI document, docs, playground) only writes its logs.
 */
const { lakeTables, accessControlKey } = require('./project.cjs');
const { signingKeys, CREDENTIALS_KEY } = require('./credentials.cjs');

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const arn = (rest) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:${rest}` });
  const logs = {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: arn(`logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${service}-${stage}-*:*`),
  };
  const parameter = (name) => arn(`ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${service}/${stage}/${name}`);
  const ssmDecrypt = (name) => ({
    Effect: 'Allow',
    Action: ['kms:Decrypt'],
    Resource: arn('kms:${AWS::Region}:${AWS::AccountId}:key/*'),
    Condition: {
      StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } },
      StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${service}/${stage}/${name}` } },
    },
  });
  const role = (statements) => ({
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [{ PolicyName: 'least-privilege', PolicyDocument: { Version: '2012-10-17', Statement: [logs, ...statements] } }],
    },
  });
  const database = `${service}_${stage}`;
  const keys = await signingKeys(resolveVariable);
  const keyArns = keys.accepted.map((k) => ({ 'Fn::GetAtt': [k, 'Arn'] }));
  return {
    Resources: {
      AuthorizerRole: role([
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': `\${DataBucket.Arn}/${accessControlKey}` } },
        { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameter('jwt-public-key') },
        { Effect: 'Allow', Action: ['kms:GetPublicKey'], Resource: keyArns },
        // Usage plans: the secret the clients' API key values are derived from.
        { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameter('usage-key-secret') },
        ssmDecrypt('usage-key-secret'),
      ]),
      QueryRole: role([
        {
          Effect: 'Allow',
          Action: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
          Resource: arn(`athena:\${AWS::Region}:\${AWS::AccountId}:workgroup/${service}-${stage}`),
        },
        {
          Effect: 'Allow',
          Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
          Resource: [
            arn('glue:${AWS::Region}:${AWS::AccountId}:catalog'),
            arn(`glue:\${AWS::Region}:\${AWS::AccountId}:database/${database}`),
            ...lakeTables.map((t) => arn(`glue:\${AWS::Region}:\${AWS::AccountId}:table/${database}/${t}`)),
          ],
        },
        {
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: lakeTables.map((t) => ({ 'Fn::Sub': `\${DataBucket.Arn}/${t}/*` })),
        },
        // Rollups: the freshness record of the daily rollups (read only).
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': '${DataBucket.Arn}/rollups.json' } },
        // Athena asks the source bucket its region: GetBucketLocation carries no s3:prefix, so it
        // must not share the prefix-scoped ListBucket statement (its condition would deny it).
        { Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: { 'Fn::GetAtt': ['DataBucket', 'Arn'] } },
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: { 'Fn::GetAtt': ['DataBucket', 'Arn'] },
          Condition: { StringLike: { 's3:prefix': ['', ...lakeTables.flatMap((t) => [t, `${t}/*`])] } },
        },
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          Resource: { 'Fn::Sub': '${ResultsBucket.Arn}/athena/*' },
        },
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          Resource: { 'Fn::GetAtt': ['ResultsBucket', 'Arn'] },
        },
        { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameter('page-token-secret') },
        ssmDecrypt('page-token-secret'),
        // Personal data: the pseudonyms' secret (docs/privacy.md); no other role reads it.
        { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameter('pseudonym-secret') },
        ssmDecrypt('pseudonym-secret'),
      ]),
      WhoamiRole: role([]),
      // The token endpoint: the only role that may sign (with the current key only), and the only
      // reader of the credentials store; it also reads the access table (enabled, grants).
      TokenRole: role([
        { Effect: 'Allow', Action: ['kms:Sign'], Resource: { 'Fn::GetAtt': [keys.current, 'Arn'] } },
        { Effect: 'Allow', Action: ['kms:GetPublicKey'], Resource: keyArns },
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': `\${CredentialsBucket.Arn}/${CREDENTIALS_KEY}` } },
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': `\${DataBucket.Arn}/${accessControlKey}` } },
      ]),
      // The JWK Set: the signing keys' public halves and the operator's verification key.
      JwksRole: role([
        { Effect: 'Allow', Action: ['kms:GetPublicKey'], Resource: keyArns },
        { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameter('jwt-public-key') },
      ]),
      PublicRole: role([]),
    },
  };
};
