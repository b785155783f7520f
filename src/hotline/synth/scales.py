"""The sizes of a synthetic world. Small is the demo, medium and large are for benchmarks.

Small mirrors the shape of the 2013 strategic assessment (about 1,100 reported URLs, 18
hosting countries, ~8 distributors running ~60-100 brands, one of them holding the 10 most
prolific brands), so the demo's numbers look like the ones analysts know.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    distributors: int
    brands: int
    # Pareto shape and scale of domains per brand: few brands hop across very many domains.
    domains_alpha: float
    domains_scale: float
    max_domains: int
    noise_sites: int
    urls_per_site: tuple[int, int]
    noise_urls_per_site: tuple[int, int]
    captures: bool  # write WARC captures (off by default at the large scale)
    captured_urls_per_site: int  # 0 = every URL of the site is captured
    images_per_page: int
    providers: int
    slash24_per_provider: int
    hotlines: int


SCALES: dict[str, Scale] = {
    "small": Scale(
        name="small",
        distributors=8,
        brands=80,
        domains_alpha=1.5,
        domains_scale=1.0,
        max_domains=14,
        noise_sites=45,
        urls_per_site=(2, 7),
        noise_urls_per_site=(2, 8),
        captures=True,
        captured_urls_per_site=0,
        images_per_page=2,
        providers=30,
        slash24_per_provider=1,
        hotlines=5,
    ),
    "medium": Scale(
        name="medium",
        distributors=60,
        brands=6_000,
        domains_alpha=1.25,
        domains_scale=4.0,
        max_domains=400,
        noise_sites=12_000,
        urls_per_site=(1, 2),
        noise_urls_per_site=(1, 3),
        captures=True,
        captured_urls_per_site=1,
        images_per_page=0,
        providers=200,
        slash24_per_provider=2,
        hotlines=8,
    ),
    "large": Scale(
        name="large",
        distributors=400,
        brands=60_000,
        domains_alpha=1.25,
        domains_scale=4.0,
        max_domains=800,
        noise_sites=120_000,
        urls_per_site=(1, 2),
        noise_urls_per_site=(1, 3),
        captures=False,
        captured_urls_per_site=1,
        images_per_page=0,
        providers=250,
        slash24_per_provider=2,
        hotlines=12,
    ),
}
