// PrepareForRestore on Services: Velero's service_action.go (cluster IPs, node ports the
// user set by kubectl apply or server-side apply, healthCheckNodePort).
#include <gtest/gtest.h>

#include <string>

#include "kube/restore_transform.h"
#include "tests/unit/kube/restore_test_objects.h"

namespace kb::kube {
namespace {

using testing::Obj;
using testing::Val;

RestoreItemContext Ctx() {
  RestoreItemContext ctx;
  ctx.backup_name = "b1";
  ctx.restore_name = "r1";
  return ctx;
}

json::value PrepareSpec(std::string_view service, RestoreItemContext const& ctx = Ctx()) {
  PreparedItem out = PrepareForRestore("services", Obj(service), ctx);
  EXPECT_FALSE(out.skip);
  json::value const* spec = out.object.if_contains("spec");
  return spec != nullptr ? *spec : json::value();
}

// A NodePort Service made by a controller (kubectl create): ports allocated by the server,
// managedFields without f:nodePort.
constexpr std::string_view kAllocated = R"({
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "web", "namespace": "shop", "uid": "e1", "resourceVersion": "31",
    "managedFields": [{"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1",
      "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:ports": {
        ".": {}, "k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}, "f:protocol": {}}},
        "f:type": {}}}}]},
  "spec": {"type": "NodePort", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"],
           "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
           "externalTrafficPolicy": "Cluster", "selector": {"app": "web"},
           "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 31234}]},
  "status": {"loadBalancer": {}}
})";

TEST(RestoreTransform, ServiceLosesClusterIPsAndAllocatedNodePort) {
  EXPECT_EQ(PrepareSpec(kAllocated), Val(R"({
    "type": "NodePort", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
    "externalTrafficPolicy": "Cluster", "selector": {"app": "web"},
    "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]})"));
}

TEST(RestoreTransform, HeadlessServiceKeepsClusterIPNone) {
  json::value spec = PrepareSpec(R"({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "shop"},
    "spec": {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
             "ports": [{"name": "pg", "port": 5432, "protocol": "TCP", "targetPort": 5432}]}})");
  EXPECT_EQ(spec.at("clusterIP"), "None");
  EXPECT_EQ(spec.at("clusterIPs"), Val(R"(["None"])"));
}

TEST(RestoreTransform, ServiceKeepsExplicitNodePortFromLastApplied) {
  json::value spec = PrepareSpec(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop", "annotations": {
      "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"ports\":[{\"name\":\"http\",\"nodePort\":30080,\"port\":80},{\"name\":\"metrics\",\"port\":9090}],\"type\":\"NodePort\"}}\n"}},
    "spec": {"type": "NodePort", "clusterIP": "10.96.0.44", "clusterIPs": ["10.96.0.44"],
             "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80,
                        "nodePort": 30080},
                       {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090,
                        "nodePort": 31999}]}})");
  EXPECT_EQ(spec.at("ports"), Val(R"([
    {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 30080},
    {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}])"));
}

TEST(RestoreTransform, ServiceKeepsUnnamedNodePortFromLastAppliedByValue) {
  json::value spec = PrepareSpec(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop", "annotations": {
      "kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":\"30080\"}]}}"}},
    "spec": {"type": "NodePort", "clusterIP": "10.96.0.45",
             "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 30080}]}})");
  EXPECT_EQ(spec.at("ports"),
            Val(R"([{"port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 30080}])"));
}

TEST(RestoreTransform, ServiceWithLastAppliedIgnoresManagedFields) {
  // kubectl apply without nodePort, but some manager owns f:nodePort: Velero reads only the
  // annotation when it is there.
  json::value spec = PrepareSpec(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop",
      "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                      "{\"spec\":{\"ports\":[{\"port\":80}]}}"},
      "managedFields": [{"manager": "other", "operation": "Apply", "apiVersion": "v1",
        "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:ports": {
          "k:{\"port\":80,\"protocol\":\"TCP\"}": {"f:nodePort": {}}}}}}]},
    "spec": {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]}})");
  EXPECT_EQ(spec.at("ports"), Val(R"([{"port": 80, "protocol": "TCP"}])"));
}

TEST(RestoreTransform, ServiceKeepsNodePortOwnedInManagedFields) {
  // Applied with kubectl apply --server-side: the port's f:nodePort is owned by the applier.
  json::value spec = PrepareSpec(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop", "managedFields": [
      {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:spec": {"f:ports": {
         "k:{\"port\":443,\"protocol\":\"TCP\"}": {".": {}, "f:nodePort": {}, "f:port": {}},
         "k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}},
         "f:type": {}}}}]},
    "spec": {"type": "NodePort", "clusterIP": "10.96.3.3", "clusterIPs": ["10.96.3.3"],
             "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443,
                        "nodePort": 30443},
                       {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080,
                        "nodePort": 32001}]}})");
  EXPECT_EQ(spec.at("ports"), Val(R"([
    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443, "nodePort": 30443},
    {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}])"));
}

TEST(RestoreTransform, ServiceKeepsEveryNodePortWithPreserveNodePorts) {
  RestoreItemContext ctx = Ctx();
  ctx.preserve_node_ports = true;
  json::value spec = PrepareSpec(kAllocated, ctx);
  EXPECT_EQ(spec.at("ports"),
            Val(R"([{"port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 31234}])"));
  EXPECT_FALSE(spec.as_object().contains("clusterIP"));  // cluster IPs go all the same
}

TEST(RestoreTransform, ExternalNameServiceKeepsItsPorts) {
  json::value spec = PrepareSpec(R"({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "shop"},
    "spec": {"type": "ExternalName", "externalName": "db.example.com",
             "ports": [{"port": 5432, "protocol": "TCP", "nodePort": 30432}]}})");
  EXPECT_EQ(spec, Val(R"({"type": "ExternalName", "externalName": "db.example.com",
                          "ports": [{"port": 5432, "protocol": "TCP", "nodePort": 30432}]})"));
}

// A LoadBalancer Service with externalTrafficPolicy Local: the server allocates a health-check
// node port next to the node port.
constexpr std::string_view kLocalLb = R"({
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "ingress", "namespace": "edge"},
  "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 32100,
           "clusterIP": "10.96.9.9", "clusterIPs": ["10.96.9.9"],
           "allocateLoadBalancerNodePorts": true,
           "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443,
                      "nodePort": 30999}]},
  "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}
})";

TEST(RestoreTransform, LoadBalancerLosesAllocatedHealthCheckNodePort) {
  EXPECT_EQ(PrepareSpec(kLocalLb), Val(R"({
    "type": "LoadBalancer", "externalTrafficPolicy": "Local", "allocateLoadBalancerNodePorts": true,
    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]})"));
}

TEST(RestoreTransform, LoadBalancerKeepsHealthCheckNodePortFromLastApplied) {
  json::object svc = Obj(kLocalLb);
  svc["metadata"].as_object()["annotations"] = Val(R"({
    "kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":32100,\"ports\":[{\"name\":\"https\",\"port\":443}]}}"})");
  PreparedItem out = PrepareForRestore("services", std::move(svc), Ctx());
  EXPECT_EQ(out.object.at("spec").at("healthCheckNodePort"), 32100);
  EXPECT_FALSE(out.object.at("spec").at("ports").at(0).as_object().contains("nodePort"));
}

TEST(RestoreTransform, LoadBalancerKeepsHealthCheckNodePortOwnedInManagedFields) {
  json::object svc = Obj(kLocalLb);
  svc["metadata"].as_object()["managedFields"] = Val(R"([
    {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "v1",
     "fieldsType": "FieldsV1",
     "fieldsV1": {"f:spec": {"f:healthCheckNodePort": {}, "f:externalTrafficPolicy": {}}}}])");
  PreparedItem out = PrepareForRestore("services", std::move(svc), Ctx());
  EXPECT_EQ(out.object.at("spec").at("healthCheckNodePort"), 32100);
}

TEST(RestoreTransform, HealthCheckNodePortKeptWithPreserveNodePorts) {
  RestoreItemContext ctx = Ctx();
  ctx.preserve_node_ports = true;
  EXPECT_EQ(PrepareSpec(kLocalLb, ctx).at("healthCheckNodePort"), 32100);
}

}  // namespace
}  // namespace kb::kube
