/**
 * The order the test files start in. Vitest starts the files it has timed before longest first,
 * and files it has not (a fresh clone, CI) largest first; the long files here are small ones
 * that run programs (a build and an install, the dev CLI, child processes, a browser), so on a
 * fresh clone they started last and the run waited on them alone. They start first, longest
 * first as measured on this 2-core machine; the rest keep vitest's order.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node"

const longFirst = [
  "package",
  "dev",
  "Application",
  "docs",
  "cluster-example",
  "cluster-runners",
  "entry-points",
  "chat",
  "observer",
  "chaos",
  "examples",
  "telemetry"
]

const rank = (spec: TestSpecification): number => {
  const index = longFirst.findIndex((name) => spec.moduleId.endsWith(`/test/${name}.test.ts`))
  return index === -1 ? longFirst.length : index
}

export class LongFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b))
  }
}
