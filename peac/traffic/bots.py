"""Which user agents are bots, crawlers and scripted clients.

The patterns are the crawler-user-agents project's list (monperrus/crawler-user-agents, about
600 patterns kept current by many contributors): far better kept than a list of our own. Each
distinct user agent is matched once (the patterns cost ~0.1 ms per agent; a log has few agents
and millions of lines).

That list is made for telling humans from robots on web pages, so it also names the HTTP
libraries that mobile apps and API clients are built on (okhttp, Dalvik, CFNetwork, axios...).
For a load model those are the service's real users, not crawlers: their traffic is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

# HTTP stacks of mobile apps and API client libraries: what real clients of an API send.
CLIENTS = re.compile(
    r"(?i)\b(okhttp|dalvik|cfnetwork|darwin/|alamofire|ktor-client|dart/|flutter|expo/|"
    r"reactnative|react-native|axios/|node-fetch|undici|got \(|go-http-client|"
    r"python-requests|python-httpx|aiohttp|apache-httpclient|java/|java-http-client|"
    r"restsharp|faraday|guzzlehttp|okhttp3|retrofit|volley|unirest|"
    r"grpc-)"
)


def is_client_library(user_agent: str) -> bool:
    """Whether ``user_agent`` is a mobile app's or an API client's HTTP library."""
    return bool(CLIENTS.search(user_agent))


@lru_cache(maxsize=65536)
def is_bot(user_agent: str) -> bool:
    """Whether ``user_agent`` is a known bot, crawler, monitor or scripted HTTP client; an
    empty or missing agent (``-``) is not counted as one, nor are the HTTP libraries of mobile
    apps and API clients."""
    import crawleruseragents

    if not user_agent or user_agent == "-" or is_client_library(user_agent):
        return False
    return bool(crawleruseragents.is_crawler(user_agent))
