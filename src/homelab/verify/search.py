"""Search engines over HTTP (httpx): Elasticsearch/OpenSearch (index, search, delete an
index of our own) and Solr (add, query, delete a document in an existing collection).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import expect, register, token
from homelab.verify.web import HTTP_API_QUERY, HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class ElasticsearchProbe(HttpApiProbe):
    kind = "elasticsearch"
    aliases = ("opensearch",)
    default_port = 9200

    async def check(self, target: Target) -> list[Step]:
        index, value = token(), token()
        async with client_for(target, self.timeout) as client:
            with self.step("connect"):
                info = checked(await client.get("/"), "cluster info")
                version = info.get("version", {})
                self.note(f"{version.get('distribution', 'elasticsearch')} {version.get('number', '?')}")
            with self.step("create index"):
                checked(await client.put(f"/{index}"), "create index")
            try:
                with self.step("write"):
                    checked(await client.put(f"/{index}/_doc/1", params={"refresh": "true"},
                                             json={"probe": value}), "index document")
                with self.step("search"):
                    found = checked(await client.post(f"/{index}/_search",
                                                      json={"query": {"match": {"probe": value}}}), "search")
                    hits = found.get("hits", {}).get("hits", [])
                    expect(len(hits) == 1 and hits[0].get("_source", {}).get("probe") == value,
                           f"search found {len(hits)} documents, expected the one written")
            finally:
                with self.cleanup():
                    checked(await client.delete(f"/{index}"), "delete index")
        return self.steps


@register
class SolrProbe(HttpApiProbe):
    """`http://host:8983/solr` (`/solr` when no path); option `collection` (default `homelab-verify`)
    must exist: creating a collection needs a configset, which a probe should not invent."""

    kind = "solr"
    query_keys = HTTP_API_QUERY | {"collection"}
    default_port = 8983

    async def check(self, target: Target) -> list[Step]:
        collection = target.option("collection", "homelab-verify")
        doc_id, value = token(), token()
        async with client_for(target, self.timeout, default_path="/solr") as client:
            with self.step("connect"):
                info = checked(await client.get("/admin/info/system", params={"wt": "json"}), "system info")
                self.note(f"solr {info.get('lucene', {}).get('solr-spec-version', '?')}")
            with self.step("write"):
                checked(await client.post(f"/{collection}/update", params={"commit": "true"},
                                          json=[{"id": doc_id, "probe_s": value}]), "add document")
            try:
                with self.step("search"):
                    found = checked(await client.get(f"/{collection}/select", params={"q": f"id:{doc_id}"}),
                                    "query")
                    docs = found.get("response", {}).get("docs", [])
                    expect(len(docs) == 1 and docs[0].get("probe_s") in (value, [value]),
                           f"query found {len(docs)} documents, expected the one written")
            finally:
                with self.cleanup():
                    checked(await client.post(f"/{collection}/update", params={"commit": "true"},
                                              json={"delete": {"id": doc_id}}), "delete document")
        return self.steps
