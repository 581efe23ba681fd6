/**
 * Vitest global setup: the distributed tests need PostgreSQL. When `EFFECT_OTP_PG_URL` is not
 * given (CI's `.ci/run` gives it) and PostgreSQL is installed, start a throwaway server with
 * `examples/cluster/postgres.sh` for this test run and stop it afterwards, so `npm test` runs
 * every test on a machine that has PostgreSQL. Without PostgreSQL installed, the tests that
 * need it say so and are skipped.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("../../examples/cluster/postgres.sh", import.meta.url))

const installed = (): boolean => {
  try {
    return readdirSync("/usr/lib/postgresql").some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
  } catch {
    return false
  }
}

export default function setup(): (() => void) | undefined {
  if (process.env["EFFECT_OTP_PG_URL"] !== undefined || !installed()) return undefined
  const env = { ...process.env, EFFECT_OTP_PG_PORT: "55433", EFFECT_OTP_PG_DIR: "/tmp/effect-otp-pg-vitest" }
  const url = execFileSync("bash", [script, "start"], { env, encoding: "utf8" }).trim()
  process.env["EFFECT_OTP_PG_URL"] = url
  return () => {
    execFileSync("bash", [script, "stop"], { env, stdio: "ignore" })
  }
}
