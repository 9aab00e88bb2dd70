"""Server-rendered pages: sign-up, confirm, sign-in, home, and the dev mailbox."""

from bastion.web.pages.routes import router

__all__ = ["router"]
