// Synthesizes the CDK apps `corsgen audit` is proven on: a REST API built the way the CDK
// documentation shows, with `defaultCorsPreflightOptions` (one origin; several origins; several
// origins with credentials), a Lambda proxy integration on /orders and /orders/{id}.
// argv: <outdir>; each app is synthesized into <outdir>/<name>/ (cdk.out layout).
"use strict";
const cdk = require("aws-cdk-lib");
const apigateway = require("aws-cdk-lib/aws-apigateway");
const lambda = require("aws-cdk-lib/aws-lambda");
const path = require("node:path");

const apps = {
  "one-origin": { allowOrigins: ["https://www.example.com"] },
  "several-origins": {
    allowOrigins: ["https://www.example.com", "https://sp.example.com"],
  },
  "several-origins-credentials": {
    allowOrigins: ["https://www.example.com", "https://sp.example.com"],
    allowCredentials: true,
    allowHeaders: ["Content-Type", "Authorization"],
  },
};

for (const [name, cors] of Object.entries(apps)) {
  const app = new cdk.App({ outdir: path.join(process.argv[2], name) });
  const stack = new cdk.Stack(app, "OrdersApi", { env: { region: "us-east-1" } });
  const handler = new lambda.Function(stack, "Handler", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => ({ statusCode: 200, body: '[]' });"),
  });
  const api = new apigateway.RestApi(stack, "Api", {
    defaultCorsPreflightOptions: cors,
    deployOptions: { stageName: "prod" },
  });
  const integration = new apigateway.LambdaIntegration(handler);
  const orders = api.root.addResource("orders");
  orders.addMethod("GET", integration);
  orders.addMethod("POST", integration);
  orders.addResource("{id}").addMethod("DELETE", integration);
  app.synth();
}
