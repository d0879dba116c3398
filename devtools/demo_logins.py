from core.demo.logins import DEMO_PASSWORD, HIGHLIGHTED_MEMBERS, STAFF


def banner(url):
    width = max(len(email) for email, *_ in STAFF + HIGHLIGHTED_MEMBERS) + 2
    lines = [
        "",
        "=" * 72,
        f"  纸业通 B2B 交易平台 is running at {url}",
        f"  back office: {url}backoffice/   API docs: {url}api/v1/docs/   health: {url}healthz",
        f"  demo password for every login below: {DEMO_PASSWORD}",
        "",
        "  staff:",
        *[f"    {email:<{width}} {name} ({role})" for email, name, role in STAFF],
        "  members:",
        *[f"    {email:<{width}} {label}" for email, label in HIGHLIGHTED_MEMBERS],
        "",
        "  Ctrl-C stops the web server, worker, beat and the embedded databases.",
        "=" * 72,
    ]
    return "\n".join(lines)
