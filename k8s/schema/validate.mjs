// Offline schema validation of rendered Kubernetes objects. Reads a JSON array of objects on stdin, prints a JSON array
// of {apiVersion, kind, name, errors}. An object of a kind that has no schema here is an error, never skipped.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { Kafka } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/Kafka";
import { KafkaNodePool } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaNodePool";
import { KafkaTopic } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaTopic";
import { KafkaUser } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaUser";
import { Cluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster";
import { Database } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Database";

const models = {
  "v1/ConfigMap": ConfigMap, "v1/Secret": Secret, "v1/Service": Service, "v1/ServiceAccount": ServiceAccount,
  "v1/Namespace": Namespace, "apps/v1/Deployment": Deployment, "apps/v1/StatefulSet": StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler, "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy, "networking.k8s.io/v1/Ingress": Ingress,
  "kafka.strimzi.io/v1/Kafka": Kafka, "kafka.strimzi.io/v1/KafkaNodePool": KafkaNodePool,
  "kafka.strimzi.io/v1/KafkaTopic": KafkaTopic, "kafka.strimzi.io/v1/KafkaUser": KafkaUser, "postgresql.cnpg.io/v1/Cluster": Cluster,
  "postgresql.cnpg.io/v1/Database": Database,
};

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((o) => {
    const key = `${o.apiVersion}/${o.kind}`;
    const r = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata && o.metadata.name, errors: [] };
    const Model = models[key];
    if (!Model) { r.errors.push(`no schema for ${key}`); return r; }
    try { new Model(o).validate(); } catch (e) {
      r.errors.push(...(e.errors ? e.errors.map((x) => `${x.instancePath || "/"} ${x.message}${x.params ? " " + JSON.stringify(x.params) : ""}`) : [e.message]));
    }
    return r;
  });
  process.stdout.write(JSON.stringify(results));
});
