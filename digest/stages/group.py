"""Group stage: articles -> stories with stable ids."""
from __future__ import annotations

from collections import Counter
from typing import Callable, Mapping, Sequence

from digest.cache import Store, text_fingerprint
from digest.frontmatter import slugify, sort_key
from digest.models import Article, Story

Grouper = Callable[[Sequence[Article]], list[tuple[str, ...]]]


def form_stories(articles: Sequence[Article], known: Mapping[str, str],
                 grouper: Grouper | None = None, cache: Store | None = None,
                 features: Callable[[], Store] | None = None, memo: dict | None = None,
                 ) -> tuple[list[Story], dict[str, str]]:
    """Return stories (ids stable across builds via `known`: article id -> story id) and the new map.

    The grouping is reused from `cache` while no article's text, title, date or story key
    changed; else made by `grouper`, or by digest.analyze.group.group_articles (imported
    only then: it brings numpy) with the store `features()` opens, which keeps what the
    last grouping was made from (group.cluster). A long-running caller passes the same
    `memo` dict to every call: the stories are then made again only when something they
    are made from changed.
    """
    fp = text_fingerprint(*sorted(a.grouping_key for a in articles))
    # the rest of what stories are made from: grouping_key covers ids, story keys, dates
    # and titles (at 10,000 articles, making the stories again took 0.06-0.09 s)
    inputs = (fp, [(a.id, a.pinned, a.weight) for a in articles], known)
    if memo is not None and memo.get("inputs") == inputs and grouper is None:
        if cache is not None:
            cache.put("groups", fp, memo["groups"])
        return list(memo["stories"]), dict(memo["mapping"])
    by_id = {a.id: a for a in articles}
    groups = cache.get("groups", fp) if cache is not None else None
    if groups is None and grouper is not None:
        groups = grouper(articles)
    elif groups is None:
        from digest.analyze.group import group_articles
        groups = group_articles(articles, features() if features else None)
    if cache is not None:
        cache.put("groups", fp, groups)
    stories = []
    taken = {a.story for a in articles if a.story}  # explicit ids are reserved first
    old = set(known.values())
    for ids in groups:
        members = sorted((by_id[i] for i in ids),  # dated first, earliest first
                         key=lambda a: (a.published is None, sort_key(a.published), a.id))
        sid = _story_id(members, known, taken, old)
        taken.add(sid)
        stories.append(Story(
            id=sid, title=members[0].title, articles=tuple(a.id for a in members),
            pinned=any(a.pinned for a in members), weight=max(a.weight for a in members)))
    mapping = {aid: s.id for s in stories for aid in s.articles}
    stories.sort(key=lambda s: s.id)
    if memo is not None:
        memo.update(inputs=(fp, inputs[1], dict(known)), groups=groups, stories=stories,
                    mapping=mapping)
        return list(stories), dict(mapping)
    return stories, mapping


def _story_id(members: list[Article], known: Mapping[str, str], taken: set[str],
              old: set[str]) -> str:
    """Return the `story:` key, else the id this group had before, else one from its first member."""
    explicit = next((a.story for a in members if a.story), "")
    if explicit:
        return explicit
    had = [known.get(a.id) for a in members]
    if had.count(had[0]) == len(had) and had[0] is not None:  # the usual case: one story
        if had[0] not in taken:
            return had[0]
    else:
        previous = Counter(sid for sid in had if sid is not None)
        for sid, _ in sorted(previous.items(), key=lambda kv: (-kv[1], kv[0])):
            if sid not in taken:
                return sid
    base = slugify(members[0].id) or "story"
    sid, n = base, 2
    while sid in taken or sid in old:
        sid, n = f"{base}-{n}", n + 1
    return sid
