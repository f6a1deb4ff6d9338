"""Which user agents are bots, crawlers and scripted clients.

The patterns are the crawler-user-agents project's list (monperrus/crawler-user-agents, about
600 patterns kept current by many contributors): far better kept than a list of our own. Each
distinct user agent is matched once (the patterns cost ~0.1 ms per agent; a log has few agents
and millions of lines).
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)
def is_bot(user_agent: str) -> bool:
    """Whether ``user_agent`` is a known bot, crawler, monitor or scripted HTTP client; an
    empty or missing agent (``-``) is not counted as one."""
    import crawleruseragents

    if not user_agent or user_agent == "-":
        return False
    return bool(crawleruseragents.is_crawler(user_agent))
