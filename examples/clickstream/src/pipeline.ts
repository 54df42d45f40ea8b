/**
 * Clickstream enrichment: each click gets its page's title and section from a global table.
 *
 * clicks (keyed by user id) -> left join with the global table of pages (by the click's page id)
 * -> page-views, keyed by user id still. The pages topic is read whole by every worker, so it needs
 * no co-partitioning with the clicks and no repartition: it may have any number of partitions.
 *
 * Settings (`--param key=value`): `clicks`, `pages` and `output`, the topics (default clicks, pages,
 * page-views).
 */
import { pipeline, type TopologyContext } from 'freshet'
import { ClickSchema, PageSchema, PageViewSchema, type PageView } from './generated/index.ts'

export default function enrichClicks(context: TopologyContext) {
  const app = pipeline({ applicationId: context.applicationId ?? 'clickstream' })
  const pages = app.globalTable(context.params.pages ?? 'pages', { schema: PageSchema, name: 'pages' })
  app
    .stream(context.params.clicks ?? 'clicks', { schema: ClickSchema })
    .leftJoin(
      pages,
      (click) => click.page_id,
      (click, page): PageView => ({
        user_id: click.user_id,
        page_id: click.page_id,
        title: page?.title ?? null,
        section: page?.section ?? 'unknown',
        timestamp: click.timestamp,
      }),
      { name: 'with-page' },
    )
    .to(context.params.output ?? 'page-views', { schema: PageViewSchema })
  return app
}
