"""Automation: the script language, script jobs, global events and actions."""
