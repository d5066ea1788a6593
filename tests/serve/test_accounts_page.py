"""The status page narrowed to one account (`?account=`): its orphans and leftovers only, links to each account,
and a query naming no account with findings shows them all (it cannot make the service render pages at will)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from tke_orphans.config import config_from_data
from tke_orphans.serve import Service
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, load_world

from .conftest import DEMO, config_data, get


def orphans(html: str) -> set[str]:
    return set(re.findall(r"ins-[a-z]{2}orp\d{3}", html))


def test_the_page_shows_one_accounts_findings(tmp_path: Path) -> None:
    cred = load_world(DEMO).spec.credentials[0]
    accounts = [{"name": name, "secret_id": cred.secret_id, "secret_key": cred.secret_key, "regions": [region],
                 "uin": uin}
                for name, region, uin in (("team-gz", "ap-guangzhou", "100000000201"),
                                          ("team<sh>", "ap-shanghai", "100000000202"))]  # fmt: skip
    with Emulator(load_world(DEMO)) as emu, StateDB(tmp_path / "s.db") as db:
        data = config_data(emu.url, accounts=accounts, detection={"leftovers": ["cbs_disk"]})
        svc = Service(config_from_data(data, "serve-test"), db, timedelta(minutes=10), ("127.0.0.1", 0))
        svc.server.start()
        try:
            svc.run_pass()
            url = svc.server.url + "/"
            _, every = get(url)
            _, gz = get(url + "?account=team-gz")
            _, sh = get(url + "?account=team%3Csh%3E&lang=en")
            _, unknown = get(url + "?account=nobody")
        finally:
            svc.close()
    assert orphans(every) == {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"} == orphans(unknown)
    assert orphans(gz) == {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003"} and "disk-gzleft01" in gz
    assert orphans(sh) == {"ins-shorp001"} and "disk-gzleft01" not in sh
    assert "<b>team-gz <span class='muted'>100000000201</span></b>" in gz  # each account with its uin
    assert "href='?lang=zh-CN&amp;account=team%3Csh%3E'>team&lt;sh&gt; <span class='muted'>100000000202" in gz
    assert "team<sh>" not in sh  # the name is escaped wherever it is shown
