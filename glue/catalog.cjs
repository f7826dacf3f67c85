/**
 * Glue: the database, one crawler over every lake table and one over the access-control
 * table, and the crawlers' role. Crawlers register the Hive `dt=` partitions of the fact
 * tables; schema changes are logged, never applied destructively (UpdateBehavior/DeleteBehavior
 * LOG), and re-crawls only visit new folders (new daily partitions).
 */
const { lakeTables, accessControl } = require('../serverless/project.cjs');

const s3Target = (folder) => ({ Path: { 'Fn::Sub': `s3://\${DataBucket}/${folder}/` } });

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const crawler = (name, description, targets) => ({
    Type: 'AWS::Glue::Crawler',
    Properties: {
      Name: `${service}-${stage}-${name}`,
      Description: description,
      Role: { 'Fn::GetAtt': ['CrawlerRole', 'Arn'] },
      DatabaseName: { Ref: 'GlueDatabase' },
      Targets: { S3Targets: targets },
      SchemaChangePolicy: { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' },
      RecrawlPolicy: { RecrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      Configuration: JSON.stringify({
        Version: 1.0,
        CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
        Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
      }),
    },
  });
  return {
    Resources: {
      GlueDatabase: {
        Type: 'AWS::Glue::Database',
        Properties: {
          CatalogId: { Ref: 'AWS::AccountId' },
          DatabaseInput: { Name: `${service}_${stage}`, Description: 'lakegate: the delivery lake (docs/design.md §2)' },
        },
      },
      LakeCrawler: crawler('lake', 'Lake tables; fact tables partitioned by dt=YYYY-MM-DD', lakeTables.map(s3Target)),
      AccessControlCrawler: crawler('access-control', 'The access-control table (JSON Lines)', [s3Target(accessControl.table)]),
      CrawlerRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
          Policies: [{
            PolicyName: 'crawl-the-lake',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': '${DataBucket.Arn}/*' } },
                { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: { 'Fn::GetAtt': ['DataBucket', 'Arn'] } },
                {
                  Effect: 'Allow',
                  Action: [
                    'glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable', 'glue:UpdateTable',
                    'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition', 'glue:CreatePartition',
                    'glue:BatchCreatePartition', 'glue:UpdatePartition', 'glue:BatchUpdatePartition',
                  ],
                  Resource: [
                    { 'Fn::Sub': 'arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog' },
                    { 'Fn::Sub': `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:database/${service}_${stage}` },
                    { 'Fn::Sub': `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:table/${service}_${stage}/*` },
                  ],
                },
                {
                  Effect: 'Allow',
                  Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
                  Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws-glue/crawlers:*' },
                },
              ],
            },
          }],
        },
      },
    },
  };
};
