// The pipeline under freshet's test driver, with vitest: no broker, records piped in, results read out.
import { describe, expect, it } from 'vitest'
import { TestDriver } from 'freshet/testing'
import type { Click, Page, PageView } from '../src/generated/index.ts'
import enrichClicks from '../src/pipeline.ts'

const click = (user: string, page: string, atMs: number): Click => ({
  user_id: user,
  page_id: page,
  timestamp: atMs,
})

async function driver() {
  const topology = enrichClicks({ applicationId: undefined, params: {} }).build()
  // The pages topic with one partition, the clicks with three: a global table needs no co-partitioning.
  return TestDriver.create(topology, { topics: { pages: { partitions: 1 }, clicks: { partitions: 3 } } })
}

describe('clickstream enrichment', () => {
  it('gives each click the title and section of its page, whatever partition the click is on', async () => {
    const d = await driver()
    const pages = d.input<Page, string>('pages')
    pages.pipe({ id: 'home', title: 'Home', section: 'front' }, { key: 'home' })
    pages.pipe({ id: 'boots', title: 'Winter boots', section: 'shoes' }, { key: 'boots' })
    const clicks = d.input<Click, string>('clicks')
    for (const [user, page, atMs] of [
      ['ann', 'home', 1_000],
      ['bob', 'boots', 2_000],
      ['cid', 'home', 3_000],
    ] as const) {
      clicks.pipe(click(user, page, atMs), { key: user })
    }
    expect(d.output<PageView>('page-views').readValues()).toEqual([
      { user_id: 'ann', page_id: 'home', title: 'Home', section: 'front', timestamp: 1_000 },
      { user_id: 'bob', page_id: 'boots', title: 'Winter boots', section: 'shoes', timestamp: 2_000 },
      { user_id: 'cid', page_id: 'home', title: 'Home', section: 'front', timestamp: 3_000 },
    ])
  })

  it('joins with the page as it is when the click is processed; an unknown page is kept as unknown', async () => {
    const d = await driver()
    const pages = d.input<Page, string>('pages')
    const clicks = d.input<Click, string>('clicks')
    clicks.pipe(click('ann', 'sale', 1_000), { key: 'ann' })
    pages.pipe({ id: 'sale', title: 'Sale', section: 'offers' }, { key: 'sale' })
    clicks.pipe(click('ann', 'sale', 2_000), { key: 'ann' })
    pages.pipe({ id: 'sale', title: 'Last days of the sale', section: 'offers' }, { key: 'sale' })
    clicks.pipe(click('bob', 'sale', 3_000), { key: 'bob' })
    expect(
      d
        .output<PageView>('page-views')
        .readValues()
        .map((v) => [v.title, v.section]),
    ).toEqual([
      [null, 'unknown'],
      ['Sale', 'offers'],
      ['Last days of the sale', 'offers'],
    ])
  })

  it('creates no repartition topic and no changelog: the pages topic is the table', () => {
    const { topics } = enrichClicks({ applicationId: 'clicks', params: {} }).build().description
    expect(topics.repartition).toEqual([])
    expect(topics.changelog).toEqual([])
  })
})
