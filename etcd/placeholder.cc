// Replaced by the etcd client.
