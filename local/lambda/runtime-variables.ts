/**
 * What Lambda's Node.js runtime puts in every function's environment beside
 * the function's own variables, with dummy credentials in place of the
 * role's (the local services take any; the SDK needs some to sign).
 * Reserved names: see "Defined runtime environment variables" in the Lambda
 * developer guide.
 */
export interface RuntimeVariablesOptions {
  readonly functionName: string;
  readonly memoryMb: number;
  /** Lambda's runtime id, e.g. `nodejs24.x`. */
  readonly runtime: string;
  /** Where the function's code is (LAMBDA_TASK_ROOT). */
  readonly taskRoot: string;
  readonly region?: string;
}

export function lambdaRuntimeVariables(options: RuntimeVariablesOptions): Record<string, string> {
  const region = options.region ?? 'us-east-1';
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${options.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: 'example-secret-access-key-example-example',
    AWS_SESSION_TOKEN: 'example-session-token',
    LAMBDA_TASK_ROOT: options.taskRoot,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    // Every function is built to index.mjs exporting `handler`, as NodejsFunction deploys it.
    _HANDLER: 'index.handler',
  };
}
