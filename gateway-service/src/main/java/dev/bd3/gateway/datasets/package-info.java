/** Datasets: text uploaded by users, split and stored once, for training jobs to name. */
package dev.bd3.gateway.datasets;
