"""Replication inside a deployment: the hosts that follow the writer's log (a Multi-AZ DB
cluster's readers, Aurora replicas, self-managed standbys on EC2)."""
