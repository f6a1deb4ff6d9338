"""The code forges peac's pipeline stage talks to: GitHub and GitLab, for the one pull-request
(merge-request) comment that carries the verdict. An edge of the load level: HTTP to the
forge's API, its address and token from the CI platform's environment only (a pull request's
files never choose where a token goes), every response bounded in size and time.
"""
