/**
 * API keys and roles: a bearer key names a caller with roles (reader, submitter, admin); only a
 * key's SHA-256 is stored; the first admin key comes from a file.
 */
package dev.bd3.gateway.auth;
