// Whether this process should start the OpenTelemetry SDK: an OTLP endpoint is configured and the
// SDK is not switched off. Imports nothing of the SDK.
import { getEnv, type Env } from '../env';

export function telemetryWanted(env: Env = getEnv()): Env | null {
  return env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_SDK_DISABLED ? env : null;
}
