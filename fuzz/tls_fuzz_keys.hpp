// A throwaway ECDSA P-256 key and self-signed certificate for the TLS fuzz
// targets, written as PEM files (made in-process at start-up).
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <string>

namespace hs::fuzz {

inline bool write_key_and_cert(const std::string& key_path, const std::string& cert_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) return false;
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0;
  FILE* k = std::fopen(key_path.c_str(), "w");
  FILE* c = std::fopen(cert_path.c_str(), "w");
  ok = ok && k != nullptr && c != nullptr && PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
       PEM_write_X509(c, cert) == 1;
  if (k != nullptr) std::fclose(k);
  if (c != nullptr) std::fclose(c);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace hs::fuzz
