#!/bin/sh
# How files/rsa.pem and files/rsa-ciphertext.b64 were made (once; the
# rsadecrypt case reads them). The key is a throwaway test key.
set -eu
cd "$(dirname "$0")"
openssl genrsa -traditional -out rsa.pem 2048
printf 'Hello, RSA!' | openssl pkeyutl -encrypt -inkey rsa.pem -pkeyopt rsa_padding_mode:pkcs1 | base64 -w0 > rsa-ciphertext.b64
