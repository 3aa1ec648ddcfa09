/* SPDX-License-Identifier: MIT */
/* The CryptoAPI side of the interoperability tests: a Windows program, run under Wine, that makes
 * and opens files with advapi32 exactly as Microsoft's "Encrypting a File" sample does (a DWORD
 * blob length, a SIMPLEBLOB from CryptExportKey, then CryptEncrypt's output).
 *
 *   winpeer SCRIPT
 *
 * SCRIPT holds one operation per line, so that one Wine start serves many cases:
 *   keygen BITS PRIV PUB           CryptGenKey(AT_KEYEXCHANGE, BITS << 16 | CRYPT_EXPORTABLE), then
 *                                  PRIV <- PRIVATEKEYBLOB, PUB <- PUBLICKEYBLOB
 *   encrypt PUB AESBITS IN OUT     a fresh AES key, its SIMPLEBLOB under PUB, CryptEncrypt in chunks
 *   decrypt PRIV IN OUT            CryptImportKey(PRIV), CryptImportKey(the file's SIMPLEBLOB),
 *                                  CryptDecrypt in chunks with Final on the last
 *   decrypt-blob PRIV BLOB IN OUT  the same, but the session key comes from the SIMPLEBLOB in the
 *                                  file BLOB (an escrow record's), imported with PRIV
 *   expect-fail PRIV IN            decrypting IN must fail (CryptImportKey or CryptDecrypt)
 * Paths starting with '/' are Unix paths (reached through Wine's Z: drive). Every line runs; the
 * exit status is the number of failed lines (0: all passed). */
#include <windows.h>
#include <wincrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not a multiple of the library's 64 KiB chunks, so that the two framings differ. */
#define CHUNK 99984u

static HCRYPTPROV prov;

static void report(int line, const char *what) {
    fprintf(stderr, "winpeer: line %d: %s failed (error 0x%08lx)\n", line, what, (unsigned long)GetLastError());
}

static FILE *open_path(const char *path, const char *mode) {
    char buf[4096];
    if (path[0] == '/') {
        snprintf(buf, sizeof buf, "Z:%s", path);
        for (char *p = buf; *p; ++p)
            if (*p == '/') *p = '\\';
        path = buf;
    }
    return fopen(path, mode);
}

static BYTE *read_file(const char *path, DWORD *size) {
    FILE *f = open_path(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    BYTE *data = malloc(n > 0 ? (size_t)n + 32 : 32);
    if (data && n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = (DWORD)(n > 0 ? n : 0);
    return data;
}

static int write_file(const char *path, const BYTE *data, DWORD size) {
    FILE *f = open_path(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

static int import_key_file(const char *path, HCRYPTKEY *key) {
    DWORD n;
    BYTE *blob = read_file(path, &n);
    if (!blob) return 0;
    BOOL ok = CryptImportKey(prov, blob, n, 0, 0, key);
    SecureZeroMemory(blob, n);
    free(blob);
    return ok;
}

static int op_keygen(int line, DWORD bits, const char *priv_path, const char *pub_path) {
    HCRYPTKEY key;
    if (!CryptGenKey(prov, AT_KEYEXCHANGE, (bits << 16) | CRYPT_EXPORTABLE, &key)) return report(line, "CryptGenKey"), 0;
    int ok = 1;
    DWORD types[2] = {PRIVATEKEYBLOB, PUBLICKEYBLOB};
    const char *paths[2] = {priv_path, pub_path};
    for (int i = 0; i < 2 && ok; ++i) {
        DWORD n = 0;
        if (!CryptExportKey(key, 0, types[i], 0, NULL, &n)) { report(line, "CryptExportKey (size)"); ok = 0; break; }
        BYTE *blob = malloc(n);
        if (!CryptExportKey(key, 0, types[i], 0, blob, &n)) { report(line, "CryptExportKey"); ok = 0; }
        else if (!write_file(paths[i], blob, n)) { fprintf(stderr, "winpeer: line %d: cannot write %s\n", line, paths[i]); ok = 0; }
        SecureZeroMemory(blob, n);
        free(blob);
    }
    CryptDestroyKey(key);
    return ok;
}

static int op_encrypt(int line, const char *pub_path, DWORD aes_bits, const char *in_path, const char *out_path) {
    ALG_ID alg = aes_bits == 128 ? CALG_AES_128 : aes_bits == 192 ? CALG_AES_192 : CALG_AES_256;
    HCRYPTKEY pub, aes;
    if (!import_key_file(pub_path, &pub)) return report(line, "CryptImportKey (PUBLICKEYBLOB)"), 0;
    if (!CryptGenKey(prov, alg, CRYPT_EXPORTABLE, &aes)) return report(line, "CryptGenKey (AES)"), CryptDestroyKey(pub), 0;
    int ok = 0;
    DWORD blob_len = 0, size = 0;
    BYTE *plain = read_file(in_path, &size), *blob = NULL, *out = NULL;
    if (!plain) { fprintf(stderr, "winpeer: line %d: cannot read %s\n", line, in_path); goto done; }
    if (!CryptExportKey(aes, pub, SIMPLEBLOB, 0, NULL, &blob_len)) { report(line, "CryptExportKey (SIMPLEBLOB size)"); goto done; }
    blob = malloc(blob_len);
    if (!CryptExportKey(aes, pub, SIMPLEBLOB, 0, blob, &blob_len)) { report(line, "CryptExportKey (SIMPLEBLOB)"); goto done; }
    /* The sample's layout: blob length, blob, then the ciphertext of each chunk as it comes. */
    DWORD out_cap = 4 + blob_len + size + 16, at = 0;
    out = malloc(out_cap);
    memcpy(out, &blob_len, 4);
    memcpy(out + 4, blob, blob_len);
    at = 4 + blob_len;
    DWORD done_in = 0;
    do {
        DWORD n = size - done_in > CHUNK ? CHUNK : size - done_in;
        BOOL final = done_in + n == size;
        memcpy(out + at, plain + done_in, n);
        DWORD len = n;
        if (!CryptEncrypt(aes, 0, final, 0, out + at, &len, out_cap - at)) { report(line, "CryptEncrypt"); goto done; }
        at += len;
        done_in += n;
        if (final) break;
    } while (1);
    ok = write_file(out_path, out, at);
    if (!ok) fprintf(stderr, "winpeer: line %d: cannot write %s\n", line, out_path);
done:
    free(plain);
    free(blob);
    free(out);
    CryptDestroyKey(aes);
    CryptDestroyKey(pub);
    return ok;
}

/* Decrypts the payload of the file IN with the session key from the SIMPLEBLOB `blob` (or, when
 * NULL, the file's own), imported with the private key in PRIV. Returns 1 on success; on failure
 * 0, with `quiet` keeping the failure unreported (for expect-fail). */
static int decrypt_file(int line, const char *priv_path, const char *blob_path, const char *in_path, const char *out_path,
                        int quiet) {
    HCRYPTKEY priv, aes = 0;
    if (!import_key_file(priv_path, &priv)) return report(line, "CryptImportKey (PRIVATEKEYBLOB)"), 0;
    int ok = 0;
    DWORD size = 0, ext_len = 0;
    BYTE *data = read_file(in_path, &size), *ext = NULL;
    if (!data || size < 4) { fprintf(stderr, "winpeer: line %d: cannot read %s\n", line, in_path); goto done; }
    DWORD blob_len;
    memcpy(&blob_len, data, 4);
    if (blob_len > size - 4) { fprintf(stderr, "winpeer: line %d: blob length past the end\n", line); goto done; }
    const BYTE *blob = data + 4;
    DWORD use_len = blob_len;
    if (blob_path) {
        ext = read_file(blob_path, &ext_len);
        if (!ext) { fprintf(stderr, "winpeer: line %d: cannot read %s\n", line, blob_path); goto done; }
        blob = ext;
        use_len = ext_len;
    }
    if (!CryptImportKey(prov, blob, use_len, priv, 0, &aes)) {
        if (!quiet) report(line, "CryptImportKey (SIMPLEBLOB)");
        goto done;
    }
    BYTE *payload = data + 4 + blob_len;
    DWORD total = size - 4 - blob_len, done_in = 0, out_len = 0;
    do {
        DWORD n = total - done_in > CHUNK ? CHUNK : total - done_in;
        BOOL final = done_in + n == total;
        DWORD len = n;
        if (!CryptDecrypt(aes, 0, final, 0, payload + done_in, &len)) {
            if (!quiet) report(line, "CryptDecrypt");
            goto done;
        }
        /* In place: the plaintext of each chunk moves down to follow the plaintext before it. */
        memmove(data + out_len, payload + done_in, len);
        out_len += len;
        done_in += n;
        if (final) break;
    } while (1);
    if (out_path) {
        ok = write_file(out_path, data, out_len);
        if (!ok) fprintf(stderr, "winpeer: line %d: cannot write %s\n", line, out_path);
    } else {
        ok = 1;
    }
done:
    if (data) SecureZeroMemory(data, size);
    free(data);
    free(ext);
    if (aes) CryptDestroyKey(aes);
    CryptDestroyKey(priv);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: winpeer SCRIPT\n");
        return 100;
    }
    if (!CryptAcquireContextA(&prov, NULL, MS_ENH_RSA_AES_PROV_A, PROV_RSA_AES, CRYPT_VERIFYCONTEXT)) {
        report(0, "CryptAcquireContext(MS_ENH_RSA_AES_PROV, PROV_RSA_AES, CRYPT_VERIFYCONTEXT)");
        return 101;
    }
    FILE *script = open_path(argv[1], "r");
    if (!script) {
        fprintf(stderr, "winpeer: cannot read %s\n", argv[1]);
        return 102;
    }
    char text[8192];
    int line = 0, failed = 0, ran = 0;
    while (fgets(text, sizeof text, script)) {
        ++line;
        char op[32], a[2048], b[2048], c[2048], d[2048];
        int n = sscanf(text, "%31s %2047s %2047s %2047s %2047s", op, a, b, c, d);
        if (n <= 0 || op[0] == '#') continue;
        int ok;
        if (!strcmp(op, "keygen") && n == 4) ok = op_keygen(line, (DWORD)atoi(a), b, c);
        else if (!strcmp(op, "encrypt") && n == 5) ok = op_encrypt(line, a, (DWORD)atoi(b), c, d);
        else if (!strcmp(op, "decrypt") && n == 4) ok = decrypt_file(line, a, NULL, b, c, 0);
        else if (!strcmp(op, "decrypt-blob") && n == 5) ok = decrypt_file(line, a, b, c, d, 0);
        else if (!strcmp(op, "expect-fail") && n == 3) {
            ok = !decrypt_file(line, a, NULL, b, NULL, 1);
            if (!ok) fprintf(stderr, "winpeer: line %d: %s decrypted but should not have\n", line, b);
        } else {
            fprintf(stderr, "winpeer: line %d: bad operation: %s", line, text);
            ok = 0;
        }
        ++ran;
        failed += !ok;
    }
    fclose(script);
    CryptReleaseContext(prov, 0);
    printf("winpeer: %d operations, %d failed\n", ran, failed);
    return failed;
}
