"""The web pages: static HTML shells and our own JavaScript modules, served by the API's app.

The shells hold no data, so they need no token; every data call the pages make goes to the JSON
API with the bearer token the sign-in page keeps in the tab's session storage. Nothing is loaded
from anywhere but this app (see :data:`api.guards.PAGE_SECURITY_HEADERS`).
"""

from api.web.pages import PAGES, STATIC_DIR, is_page, mount_pages

__all__ = ["PAGES", "STATIC_DIR", "is_page", "mount_pages"]
