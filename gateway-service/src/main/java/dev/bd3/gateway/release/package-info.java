/** Models imported from, and checkpoints exported to, the authors' release layout. */
package dev.bd3.gateway.release;
