"""Drives the seed's own MongoDBManager (extracted unchanged from the seed document) against a database.

usage: seed_tooling.py SEED_MARKDOWN URI DATABASE write|read|mixed [WORKDIR]

`mixed` writes what the seed's tooling really leaves in a database: hosts and services through
MongoDBManager (no next_check_at, no stale_at, optional fields left out), the seed's migrate script
run on an old config.json (with a `method: "teleport"` target), history as its monitoring cycle logs
it, and environments as the seed document shows them (created_at only).

Prints one JSON document on stdout with what it wrote or read.
"""
import json
import os
import re
import sys
import tempfile
import types
from datetime import datetime, timedelta


def seed_block(markdown_path, name):
    text = open(markdown_path, encoding="utf-8").read()
    block = re.search(r"```python\n(# " + re.escape(name) + r"\n.*?)```", text, re.S)
    if not block:
        raise SystemExit(name + " block not found in " + markdown_path)
    return block.group(1)


def load_seed_manager(markdown_path):
    module = types.ModuleType("db_manager")
    exec(compile(seed_block(markdown_path, "db_manager.py"), "db_manager.py", "exec"), module.__dict__)
    return module.MongoDBManager


def run_seed_migration(markdown_path, manager_class, uri, database, config_path):
    """The seed's migrate_config.py, unchanged; its MongoDBManager() is pointed at this database."""

    class Manager(manager_class):
        def __init__(self, connection_string=None, database_name=None):
            super().__init__(connection_string=uri, database_name=database)

    sys.modules["db_manager"] = types.SimpleNamespace(MongoDBManager=Manager)
    module = types.ModuleType("migrate_config")
    exec(compile(seed_block(markdown_path, "migrate_config.py"), "migrate_config.py", "exec"), module.__dict__)
    saved, sys.stdout = sys.stdout, sys.stderr  # the script prints its progress; stdout carries our JSON
    try:
        module.migrate_json_to_mongodb(config_path, "production", "default")
    finally:
        sys.stdout = saved


def write(db):
    db.add_host({
        "host_id": "host_seed_001",
        "hostname": "seed-mysql",
        "ip_address": "10.9.0.1",
        "environment": "production",
        "region": "asia-pacific",
        "location": {"datacenter": "Seoul-DC1", "rack": "A-12", "zone": "zone-1"},
        "ssh_config": {"user": "ubuntu", "port": 22, "key_path": None, "use_sudo": True},
        "metadata": {"os": "Ubuntu 22.04", "purpose": "Database Server", "tags": ["mysql", "critical"]},
    })
    db.add_service({
        "service_id": "svc_seed_mysql_001",
        "host_id": "host_seed_001",
        "service_name": "mysql.service",
        "service_type": "mysql",
        "display_name": "MySQL Database Server",
        "description": "Primary MySQL instance",
        "monitoring": {"method": "ssh", "enabled": True, "interval_sec": 45, "timeout_sec": 30,
                       "retry_attempts": 3, "retry_delay_sec": 5},
        "recovery": {"recover_on_down": True, "recover_action": "restart", "custom_script": None,
                     "max_recovery_attempts": 3, "recovery_cooldown_sec": 300, "notify_before_recovery": True},
        "alerting": {"enabled": True, "channels": ["slack", "email"], "severity": "high",
                     "escalation_policy": "db-team", "mute_until": None},
        "health_check": {"enabled": False, "endpoint": None, "expected_response": None, "custom_check": None},
        "uptime_percentage": 0.0,
        "consecutive_failures": 0,
        "environment": "production",
        "region": "asia-pacific",
        "tags": ["database", "critical"],
        "dependencies": [],
    })
    for status in ["running", "stopped"]:
        db.log_monitoring_check({"service_id": "svc_seed_mysql_001", "host_id": "host_seed_001",
                                 "check_type": "status_check", "status": status, "response_time_ms": 12,
                                 "metrics": {"cpu_usage": 1.5}, "error": None, "recovery_attempted": False})
    db.update_service_status("svc_seed_mysql_001", "stopped")
    return {"wrote": ["host_seed_001", "svc_seed_mysql_001"]}


def mixed(db, markdown, uri, database, workdir):
    # A complete host, and one with only what the seed requires (no location, metadata, port or use_sudo).
    db.add_host({
        "host_id": "host_seed_full", "hostname": "seed-db", "ip_address": "10.9.1.1",
        "environment": "production", "region": "asia-pacific",
        "location": {"datacenter": "Seoul-DC1", "rack": "A-12", "zone": "zone-1"},
        "ssh_config": {"user": "ubuntu", "port": 22, "key_path": None, "use_sudo": True},
        "metadata": {"os": "Ubuntu 22.04", "purpose": "Database Server", "tags": ["mysql"]},
    })
    db.add_host({"host_id": "host_seed_min", "hostname": "seed-min", "ip_address": "10.9.1.2",
                 "environment": "staging", "region": "eu-west-1", "ssh_config": {"user": "deploy"}})
    # The seed's comment says "dev, staging, production"; "development" is what people write.
    db.add_host({"host_id": "host_seed_devel", "hostname": "seed-devel", "ip_address": "10.9.1.3",
                 "environment": "development", "region": "eu-west-1", "ssh_config": {"user": "deploy", "port": 22}})

    # A complete service as the seed document shows it.
    db.add_service({
        "service_id": "svc_seed_full", "host_id": "host_seed_full",
        "service_name": "mysql.service", "service_type": "mysql", "display_name": "MySQL", "description": "Primary",
        "monitoring": {"method": "ssh", "enabled": True, "interval_sec": 45, "timeout_sec": 30,
                       "retry_attempts": 3, "retry_delay_sec": 5},
        "recovery": {"recover_on_down": False, "recover_action": "restart", "custom_script": None,
                     "max_recovery_attempts": 3, "recovery_cooldown_sec": 300, "notify_before_recovery": True},
        "alerting": {"enabled": True, "channels": ["slack", "email"], "severity": "high",
                     "escalation_policy": "db-team", "mute_until": None},
        "health_check": {"enabled": False, "endpoint": None, "expected_response": None, "custom_check": None},
        "uptime_percentage": 99.5, "consecutive_failures": 0,
        "environment": "production", "region": "asia-pacific", "tags": ["database"], "dependencies": [],
    })
    # Only what the seed's table requires: no alerting, health_check, tags; monitoring and recovery half filled.
    db.add_service({
        "service_id": "svc_seed_min", "host_id": "host_seed_min", "service_name": "nginx.service",
        "service_type": "nginx", "monitoring": {"method": "ssh", "enabled": True, "interval_sec": 30},
        "recovery": {"recover_on_down": False}, "environment": "staging", "region": "eu-west-1",
    })
    # An http check: the seed has no target field, so this check cannot run.
    db.add_service({
        "service_id": "svc_seed_http", "host_id": "host_seed_min", "service_name": "api.service",
        "service_type": "api", "monitoring": {"method": "http", "enabled": True, "interval_sec": 60,
                                              "timeout_sec": 10, "retry_attempts": 1, "retry_delay_sec": 1},
        "recovery": {"recover_on_down": False, "recover_action": "restart"},
        "environment": "staging", "region": "eu-west-1",
    })
    # Not checked for two hours (the seed's own stale rule says 10 minutes): stale by last_check and interval.
    db.add_service({
        "service_id": "svc_seed_stale", "host_id": "host_seed_full", "service_name": "redis.service",
        "service_type": "redis", "monitoring": {"method": "ssh", "enabled": True, "interval_sec": 60},
        "recovery": {"recover_on_down": False}, "environment": "production", "region": "asia-pacific",
    })
    db.services.update_one({"service_id": "svc_seed_stale"},
                           {"$set": {"last_check": datetime.utcnow() - timedelta(hours=2)}})
    # One our engine can reach at once (nothing listens on port 1 of this machine): checked within its interval?
    db.add_host({"host_id": "host_seed_local", "hostname": "seed-local", "ip_address": "127.0.0.1",
                 "environment": "dev", "region": "lab", "ssh_config": {"user": "ubuntu", "port": 1, "use_sudo": False}})
    db.add_service({
        "service_id": "svc_seed_local", "host_id": "host_seed_local", "service_name": "cron.service",
        "service_type": "cron", "monitoring": {"method": "ssh", "enabled": True, "interval_sec": 30, "timeout_sec": 2,
                                               "retry_attempts": 0, "retry_delay_sec": 0},
        "recovery": {"recover_on_down": False, "recover_action": "restart"}, "environment": "dev", "region": "lab",
    })
    # A status another monitor wrote, which ours does not know.
    db.add_service({
        "service_id": "svc_seed_degraded", "host_id": "host_seed_devel", "service_name": "app.service",
        "service_type": "app", "monitoring": {"method": "ssh", "enabled": False, "interval_sec": 60},
        "recovery": {"recover_on_down": False}, "environment": "development", "region": "eu-west-1",
    })
    db.update_service_status("svc_seed_degraded", "degraded")

    # The seed's migrate script on an old config.json; one target names a method nobody implements.
    config = {"targets": [
        {"name": "legacy-web", "host": "10.9.2.1", "ssh": {"user": "ubuntu", "port": 22},
         "service": "nginx.service", "method": "ssh", "interval_sec": 30},
        {"name": "legacy-odd", "host": "10.9.2.2", "ssh": {"user": "ubuntu", "port": 2222},
         "service": "beam.service", "method": "teleport", "interval_sec": 30},
    ]}
    config_path = os.path.join(workdir, "config.json")
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    run_seed_migration(markdown, type(db), uri, database, config_path)

    # History as the seed's monitoring cycle logs it: a full result, and the error path (no metrics, no times).
    for status in ["running", "stopped"]:
        db.log_monitoring_check({"service_id": "svc_seed_full", "host_id": "host_seed_full",
                                 "check_type": "status_check", "status": status, "response_time_ms": 12,
                                 "metrics": {"cpu_usage": 1.5, "custom": {"queries_per_second": 150}},
                                 "error": None, "recovery_attempted": False, "recovery_success": None})
    db.log_monitoring_check({"service_id": "svc_seed_min", "host_id": "host_seed_min", "check_type": "status_check",
                             "status": "error", "error": "ssh: connect timed out", "recovery_attempted": False})
    db.log_monitoring_check({"service_id": "svc_seed_degraded", "host_id": "host_seed_devel",
                             "check_type": "synthetic", "status": "degraded", "recovery_attempted": False})

    # Environments as the seed document shows them: created_at only.
    db.environments.insert_one({
        "env_name": "production", "description": "Production environment", "color": "#FF0000",
        "alert_severity": "critical",
        "maintenance_window": {"day": "Sunday", "start_time": "02:00", "end_time": "06:00", "timezone": "UTC"},
        "approval_required": True, "created_at": datetime.utcnow(),
    })
    db.environments.insert_one({"env_name": "qa", "description": "QA", "alert_severity": "urgent",
                                "created_at": datetime.utcnow()})
    return {
        "hosts": sorted(h["host_id"] for h in db.hosts.find({}, {"host_id": 1})),
        "services": sorted(s["service_id"] for s in db.services.find({}, {"service_id": 1})),
        "teleport": [s["service_id"] for s in db.services.find({"monitoring.method": "teleport"}, {"service_id": 1})],
    }


def read(db):
    summary = db.get_dashboard_summary()
    attention = db.get_services_needing_attention()
    return {
        "host": db.get_host("host_api_001"),
        "services_on_host": db.get_services_by_host("host_api_001"),
        "enabled": [s["service_id"] for s in db.get_enabled_services()],
        "history": db.get_service_history("svc_api_nginx_001"),
        "recent_failures": len(db.get_recent_failures(hours=24)),
        "uptime_by_count": db.get_service_uptime("svc_api_nginx_001", days=30),
        "summary": summary,
        "attention_down": [s["service_id"] for s in attention["down_services"]],
    }


def main():
    markdown, uri, database, mode = sys.argv[1:5]
    manager = load_seed_manager(markdown)(connection_string=uri, database_name=database)
    try:
        if mode == "write":
            result = write(manager)
        elif mode == "mixed":
            result = mixed(manager, markdown, uri, database, sys.argv[5] if len(sys.argv) > 5 else tempfile.mkdtemp())
        else:
            result = read(manager)
    finally:
        manager.close()
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
