//! The one integration-test binary: CLI contract, golden files, differential conformance of the
//! generated code in its real runtimes, property tests, docs sync.

mod alb;
mod apigateway;
mod audit;
mod browser;
mod cdk;
mod cli;
mod cloudfront;
mod conformance;
mod docs;
mod doctor;
mod emit;
mod function_url;
mod fuzz;
mod golden;
mod localstack;
mod probe;
mod properties;
mod s3;
mod sam;
mod serve;
mod serverless;
mod support;
mod targets;
mod templates;
mod terraform;
