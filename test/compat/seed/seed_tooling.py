"""Drives the seed's own MongoDBManager (extracted unchanged from the seed document) against a database.

usage: seed_tooling.py SEED_MARKDOWN URI DATABASE write|read

Prints one JSON document on stdout with what it wrote or read.
"""
import json
import re
import sys
import types
from datetime import datetime, timedelta


def load_seed_manager(markdown_path):
    text = open(markdown_path, encoding="utf-8").read()
    block = re.search(r"```python\n(# db_manager\.py\n.*?)```", text, re.S)
    if not block:
        raise SystemExit("db_manager.py block not found in " + markdown_path)
    module = types.ModuleType("db_manager")
    exec(compile(block.group(1), "db_manager.py", "exec"), module.__dict__)
    return module.MongoDBManager


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
        result = write(manager) if mode == "write" else read(manager)
    finally:
        manager.close()
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
