/**
 * API Gateway method throttling for the public token route (docs/design.md §9: brute force is slowed by
 * the token function and, on AWS, by the gateway). The framework creates the stage through the
 * API's Deployment, so its method settings go in that Deployment's StageDescription. Only the
 * packaged template changes; serverless offline is untouched.
 */
const { TOKEN_ROUTE_THROTTLE } = require('./project.cjs');

class MethodThrottling {
  constructor(serverless) {
    this.hooks = {
      'before:package:finalize': () => {
        const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources;
        for (const r of Object.values(resources)) {
          if (r.Type !== 'AWS::ApiGateway::Deployment') continue;
          r.Properties.StageDescription = {
            ...r.Properties.StageDescription,
            MethodSettings: [{
              ResourcePath: '/~1oauth~1token', // JSON-pointer escaping of /oauth/token
              HttpMethod: 'POST',
              ThrottlingRateLimit: TOKEN_ROUTE_THROTTLE.ratePerSecond,
              ThrottlingBurstLimit: TOKEN_ROUTE_THROTTLE.burst,
            }],
          };
        }
      },
    };
  }
}

module.exports = MethodThrottling;
