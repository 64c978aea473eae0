"""Scenario `backup`: every data store has a fresh backup, read off the cluster's Backup objects.

For each Velero Schedule and CloudNativePG ScheduledBackup the cluster holds (or those named in
option `only`, comma-separated: schedule names or PostgreSQL cluster names), the newest completed
run must be no older than one period of its schedule plus `grace_hours` (default 1, for a run in
progress). URL: `kubernetes://<context>` (no context: the kubeconfig's current one); option
`kubeconfig` names the file (default $KUBECONFIG, ~/.kube/config).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from homelab.verify.base import Probe, expect, register

if TYPE_CHECKING:
    from homelab.backups.model import Snapshot, Source
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class BackupScenario(Probe):
    kind = "backup"
    aliases = ("backups",)
    imports = ("lightkube", "croniter")

    async def check(self, target: Target) -> list[Step]:
        from homelab.backups.model import freshness
        from homelab.backups.ops import Backups
        from homelab.cluster.kube import Kube

        context = target.parts.netloc or None
        kubeconfig = target.option("kubeconfig")
        with self.step("connect"):
            kube = await self.thread(Kube.connect, context, Path(kubeconfig).expanduser() if kubeconfig else None)
            self.note(kube.server)
        try:
            backups = Backups(kube)
            with self.step("read schedules and backups"):
                sources: list[Source] = await self.thread(backups.sources)
                snapshots: list[Snapshot] = await self.thread(backups.snapshots)
                wanted = [n for n in str(target.option("only", "")).split(",") if n]
                if wanted:
                    sources = [s for s in sources if s.name in wanted or s.label in wanted
                               or (s.kind == "cnpg" and set(wanted) & set(s.covers))]
                expect(bool(sources), "no backup schedule" + (f" named {', '.join(wanted)}" if wanted else "")
                       + " in this cluster")
                self.note(f"{len(sources)} schedule(s), {len(snapshots)} backup(s)")
            with self.step("fresh"):
                grace = timedelta(hours=float(target.option("grace_hours", 1)))
                now = backups.now()
                results = [freshness(s, snapshots, now, grace) for s in sources]
                stale = [why for ok, why in results if not ok]
                expect(not stale, "; ".join(stale))
                self.note("; ".join(why for _, why in results)[:200])
        finally:
            kube.close()
        return self.steps
