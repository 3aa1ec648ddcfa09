// SPDX-License-Identifier: MIT
// The second age implementation of the post-quantum interop test (tests/interop/age/pq.sh): the npm
// package `age-encryption` (pinned in tests/interop/age/npm/package-lock.json), driven by a job
// file so that one node process does a whole direction of the crossing.
//
//   node pq.mjs NPM_DIR JOB_FILE
//
// NPM_DIR is the directory `npm ci` installed the package into (it holds node_modules/). Each line
// of JOB_FILE is one job, fields separated by spaces (no file name holds a space):
//
//   keygen NAME                  a new hybrid identity: NAME.key written as age-keygen -pq writes
//                                it (comments, then the AGE-SECRET-KEY-PQ-1... line), NAME.pub the
//                                age1pq1... recipient
//   recipient IDENTITY PUB       the recipient node derives from the identity file must be PUB's
//   encrypt IN OUT RECIPIENTS... IN encrypted to every age1... line of the RECIPIENTS files: OUT
//                                (binary) and OUT.asc (armored)
//   open IDENTITY FILE           decrypts FILE (binary or armored) and prints "SHA256  FILE" of the
//                                plaintext, for the harness to compare with sha256sum
//   refuse IDENTITY FILE         decrypting FILE with IDENTITY must fail for want of a matching
//                                identity; prints "refused  FILE"
//
// Any job that does not do what it says is reported on stderr and makes the exit status 1; the
// other jobs still run. Secrets here are test keys, written to the scratch directory only.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [npmDir, jobFile] = process.argv.slice(2);
if (!npmDir || !jobFile) {
    console.error("usage: node pq.mjs NPM_DIR JOB_FILE");
    process.exit(2);
}
// The package is ESM only; resolve it from NPM_DIR (ESM ignores NODE_PATH) and import it by URL.
const entry = createRequire(join(resolve(npmDir), "package.json")).resolve("age-encryption");
const age = await import(pathToFileURL(entry).href);

const armorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

// The identity line of an identity file: the one line that is not a comment or blank.
function readIdentity(path) {
    const lines = readFileSync(path, "utf8").split("\n").map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
    if (lines.length !== 1) throw new Error(`${path}: expected one identity line, found ${lines.length}`);
    return lines[0];
}

function readRecipients(path) {
    return readFileSync(path, "utf8").split("\n").map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
}

// The file's bytes as the Decrypter wants them: armored files are decoded first.
function readAgeFile(path) {
    const bytes = readFileSync(path);
    if (bytes.subarray(0, armorBegin.length).toString("latin1") === armorBegin) {
        return age.armor.decode(bytes.toString("latin1"));
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

async function decryptWith(identityPath, filePath) {
    const d = new age.Decrypter();
    d.addIdentity(readIdentity(identityPath));
    return d.decrypt(readAgeFile(filePath));
}

const jobs = {
    async keygen(name) {
        const identity = await age.generateHybridIdentity();
        const recipient = await age.identityToRecipient(identity);
        const created = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        writeFileSync(`${name}.key`, `# created: ${created}\n# public key: ${recipient}\n${identity}\n`,
            { mode: 0o600 });
        writeFileSync(`${name}.pub`, `${recipient}\n`);
    },
    async recipient(identityPath, pubPath) {
        const derived = await age.identityToRecipient(readIdentity(identityPath));
        const expected = readRecipients(pubPath);
        if (expected.length !== 1 || expected[0] !== derived) {
            throw new Error(`the recipient of ${identityPath} is not the one in ${pubPath}`);
        }
    },
    async encrypt(inPath, outPath, ...recipientsPaths) {
        if (recipientsPaths.length === 0) throw new Error("no recipients");
        const e = new age.Encrypter();
        for (const r of recipientsPaths.flatMap(readRecipients)) e.addRecipient(r);
        const binary = await e.encrypt(new Uint8Array(readFileSync(inPath)));
        writeFileSync(outPath, binary);
        writeFileSync(`${outPath}.asc`, age.armor.encode(binary));
    },
    async open(identityPath, filePath) {
        console.log(`${sha256(await decryptWith(identityPath, filePath))}  ${filePath}`);
    },
    async refuse(identityPath, filePath) {
        let opened = false;
        try {
            await decryptWith(identityPath, filePath);
            opened = true;
        } catch (err) {
            if (!/no identity matched/.test(String(err))) {
                throw new Error(`refused for another reason than a missing identity: ${err}`);
            }
        }
        if (opened) throw new Error(`${identityPath} opened ${filePath}`);
        console.log(`refused  ${filePath}`);
    },
};

let failures = 0;
for (const line of readFileSync(jobFile, "utf8").split("\n")) {
    const [verb, ...args] = line.trim().split(/\s+/).filter((w) => w !== "");
    if (verb === undefined) continue;
    try {
        const job = jobs[verb];
        // (a function's length counts its parameters before a rest parameter)
        if (job === undefined || args.length < job.length || (verb !== "encrypt" && args.length > job.length)) {
            throw new Error("unknown job or wrong arguments");
        }
        await job(...args);
    } catch (err) {
        failures++;
        console.error(`FAIL: node job '${line.trim()}': ${err.message ?? err}`);
    }
}
process.exit(failures === 0 ? 0 : 1);
