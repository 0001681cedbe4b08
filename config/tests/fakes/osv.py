"""A fake OSV vulnerability service on 127.0.0.1, as pip-audit queries it (``--osv-url``)."""

from config.tests.fakes.http import FakeServer, Request


class FakeOsv(FakeServer):
    def __init__(self, vulnerable: dict[str, str]):
        """``vulnerable``: package name -> the id of a vulnerability every version of it has."""
        super().__init__()
        self.vulnerable = vulnerable

    def handle(self, request: Request) -> tuple[int, object]:
        if request.method != "POST":
            return 405, {"code": 12, "message": "Use POST"}
        name = request.json()["package"]["name"]
        if name not in self.vulnerable:
            return 200, {}
        return 200, {"vulns": [self._vulnerability(name, self.vulnerable[name])]}

    @staticmethod
    def _vulnerability(name: str, identifier: str) -> dict:
        return {
            "id": identifier,
            "summary": f"A made-up flaw in {name}",
            "affected": [
                {
                    "package": {"name": name, "ecosystem": "PyPI"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999.0"}]}],
                }
            ],
        }
