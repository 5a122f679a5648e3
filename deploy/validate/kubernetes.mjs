// Checks Kubernetes manifests (a YAML stream on stdin, as `kubectl kustomize` renders an overlay)
// against the Kubernetes API schemas that the npm package kubernetes-models compiles, and the
// operators' resources against their CRD schemas (Strimzi, CloudNativePG, KEDA, from the same
// project's packages): field types, required fields, enumerations, formats. Prints one line per
// object; exits 1 if any object is invalid or of a kind it has no schema for.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const OPERATORS = {
  "kafka.strimzi.io": "@kubernetes-models/strimzi-kafka-operator",
  "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
  "keda.sh": "@kubernetes-models/keda",
};

let invalid = 0;
for (const document of parseAllDocuments(readFileSync(0, "utf8"))) {
  if (document.errors.length) {
    console.log(`invalid YAML: ${document.errors[0].message}`);
    invalid++;
    continue;
  }
  const object = document.toJS();
  if (object == null) continue;
  const name = `${object.kind} ${object.metadata?.name ?? "(no name)"}`;
  // apps/v1 -> kubernetes-models/apps/v1/Deployment; v1 (the core group) -> kubernetes-models/v1/...;
  // an operator's group -> its package, e.g. @kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject
  const group = object.apiVersion?.includes("/") ? object.apiVersion.split("/")[0] : "";
  const module = `${OPERATORS[group] ?? "kubernetes-models"}/${object.apiVersion}/${object.kind}`;
  let model;
  try {
    model = (await import(module))[object.kind];
  } catch {
    console.log(`${name}: no schema for ${object.apiVersion} ${object.kind}`);
    invalid++;
    continue;
  }
  try {
    new model(object).validate();
    console.log(`${name}: valid`);
  } catch (e) {
    console.log(`${name}: ${e.message}`);
    invalid++;
  }
}
process.exit(invalid ? 1 : 0);
