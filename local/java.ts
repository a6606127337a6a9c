import { spawnSync } from 'node:child_process';

const REQUIRED_JAVA = 17;

/**
 * DynamoDB Local is a Java program. Fails with a message that says what to
 * install when `java` is missing or older than 17.
 */
export function assertJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(
      `DynamoDB Local needs Java ${REQUIRED_JAVA} or newer, and no "java" command was found. ` +
        'Install a JDK or JRE (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17).',
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match === null ? NaN : Number(match[1] === '1' ? match[2] : match[1]);
  if (!(major >= REQUIRED_JAVA)) {
    throw new Error(`DynamoDB Local needs Java ${REQUIRED_JAVA} or newer; "java -version" reports ${match?.[0] ?? 'an unknown version'}.`);
  }
}
