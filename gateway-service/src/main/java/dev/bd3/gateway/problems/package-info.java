/**
 * Errors as RFC 7807 problem bodies that name the field, and the request checks that produce them
 * (body size, NUL characters).
 */
package dev.bd3.gateway.problems;
