// The dashboard page: one EventSource (/api/events) feeds every figure, chart and table. Charts are
// drawn on canvas here (no library, nothing fetched from outside the dashboard's own server).

const JOB_COLORS = {
  'event-counts': '#58a6ff',
  revenue: '#3fb950',
  sessions: '#d2a8ff',
  'top-users': '#f0883e',
}
const PALETTE = [
  '#58a6ff',
  '#3fb950',
  '#d2a8ff',
  '#f0883e',
  '#ff7b72',
  '#79c0ff',
  '#e3b341',
  '#56d4dd',
  '#bc8cff',
  '#ffa198',
]
const GRID = '#243040'
const MUTED = '#8b98a8'

/** The page's model: the sample history and the newest state. */
const model = { samples: [], state: null, historyMs: 300_000 }

const $ = (selector) => document.querySelector(selector)
const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })

function colorOf(name, index) {
  return JOB_COLORS[name] ?? PALETTE[index % PALETTE.length]
}

function formatMs(ms) {
  if (ms == null) return '–'
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${decimal.format(ms / 1_000)} s`
  return `${decimal.format(ms / 60_000)} min`
}

function formatCount(n) {
  if (n == null) return '–'
  if (Math.abs(n) >= 1e6) return `${decimal.format(n / 1e6)}M`
  if (Math.abs(n) >= 1e4) return `${decimal.format(n / 1e3)}k`
  return number.format(n)
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false })
}

/** A round step for about `ticks` gridlines between 0 and `max`. */
function niceStep(max, ticks) {
  const raw = max / ticks
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const residual = raw / magnitude
  return (residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1) * magnitude
}

/** Sizes the canvas to its box at the device's pixel ratio; returns the context and the box. */
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1
  const width = canvas.clientWidth
  const height = canvas.clientHeight
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio)
    canvas.height = Math.round(height * ratio)
  }
  const ctx = canvas.getContext('2d')
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
  ctx.clearRect(0, 0, width, height)
  ctx.font = '11px system-ui, sans-serif'
  return { ctx, width, height }
}

/** Y gridlines and labels from 0 to the top; returns the plot's y scale. */
function yAxis(ctx, box, maxValue, format) {
  const step = niceStep(maxValue > 0 ? maxValue : 1, 4)
  const top = Math.max(step, Math.ceil((maxValue > 0 ? maxValue : 1) / step) * step)
  ctx.strokeStyle = GRID
  ctx.fillStyle = MUTED
  ctx.lineWidth = 1
  ctx.textAlign = 'right'
  ctx.textBaseline = 'middle'
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = box.bottom - (v / top) * (box.bottom - box.top)
    ctx.beginPath()
    ctx.moveTo(box.left, Math.round(y) + 0.5)
    ctx.lineTo(box.right, Math.round(y) + 0.5)
    ctx.stroke()
    ctx.fillText(format(v), box.left - 6, y)
  }
  return (v) => box.bottom - (v / top) * (box.bottom - box.top)
}

function setLegend(id, entries) {
  const legend = document.getElementById(id)
  const html = entries.map(([name, color]) => `<span style="--swatch:${color}">${name}</span>`).join('')
  if (legend.innerHTML !== html) legend.innerHTML = html
}

/** Lines over time: series = [{ name, color, points: [[timeMs, value]], dash }]. */
function lineChart(canvas, series, format) {
  const { ctx, width, height } = prepare(canvas)
  const box = { left: 52, right: width - 8, top: 8, bottom: height - 20 }
  const nowMs = model.samples.at(-1)?.timeMs ?? Date.now()
  const fromMs = nowMs - model.historyMs
  const max = Math.max(0, ...series.flatMap((s) => s.points.map(([, v]) => v ?? 0)))
  const y = yAxis(ctx, box, max * 1.1, format)
  const x = (t) => box.left + ((t - fromMs) / (nowMs - fromMs)) * (box.right - box.left)
  ctx.fillStyle = MUTED
  ctx.textAlign = 'center'
  ctx.textBaseline = 'top'
  for (let t = Math.ceil(fromMs / 60_000) * 60_000; t <= nowMs; t += 60_000) {
    ctx.fillText(clock(t).slice(0, 5), x(t), box.bottom + 5)
  }
  let points = 0
  for (const s of series) {
    ctx.strokeStyle = s.color
    ctx.lineWidth = 2
    ctx.setLineDash(s.dash ? [5, 4] : [])
    ctx.beginPath()
    let pen = false
    for (const [t, v] of s.points) {
      if (v == null || t < fromMs) {
        pen = false
        continue
      }
      points++
      if (pen) ctx.lineTo(x(t), y(v))
      else ctx.moveTo(x(t), y(v))
      pen = true
    }
    ctx.stroke()
  }
  ctx.setLineDash([])
  canvas.dataset.points = String(points)
}

/** Stacked columns: columns = [{ label, values: { name: value } }], names in stacking order. */
function stackedColumns(canvas, columns, names, colors) {
  const { ctx, width, height } = prepare(canvas)
  const box = { left: 52, right: width - 8, top: 8, bottom: height - 20 }
  const totals = columns.map((c) => names.reduce((sum, n) => sum + (c.values[n] ?? 0), 0))
  const y = yAxis(ctx, box, Math.max(0, ...totals) * 1.1, formatCount)
  const slot = (box.right - box.left) / Math.max(columns.length, 1)
  const barWidth = Math.min(40, slot * 0.7)
  ctx.textAlign = 'center'
  ctx.textBaseline = 'top'
  columns.forEach((column, i) => {
    const cx = box.left + slot * (i + 0.5)
    let base = 0
    names.forEach((name, j) => {
      const v = column.values[name] ?? 0
      if (v <= 0) return
      ctx.fillStyle = colors[j]
      const top = y(base + v)
      ctx.fillRect(cx - barWidth / 2, top, barWidth, y(base) - top)
      base += v
    })
    ctx.fillStyle = MUTED
    if (columns.length <= 8 || i % 2 === columns.length % 2) ctx.fillText(column.label, cx, box.bottom + 5)
  })
  canvas.dataset.points = String(columns.length)
}

function sparkline(canvas, values, color) {
  const { ctx, width, height } = prepare(canvas)
  const max = Math.max(...values, 0)
  const min = Math.min(...values, max)
  const span = max - min || 1
  ctx.strokeStyle = color
  ctx.lineWidth = 1.5
  ctx.beginPath()
  values.forEach((v, i) => {
    const px = values.length === 1 ? width / 2 : (i / (values.length - 1)) * (width - 4) + 2
    const py = height - 3 - ((v - min) / span) * (height - 6)
    if (i === 0) ctx.moveTo(px, py)
    else ctx.lineTo(px, py)
  })
  ctx.stroke()
}

function setKpi(id, value, unit, alert = false) {
  const kpi = document.getElementById(id)
  kpi.querySelector('.value').textContent = value
  if (unit !== undefined) kpi.querySelector('.unit').textContent = unit
  kpi.dataset.alert = String(alert)
}

/** `1.2 s` -> ['1.2', 's'] for the KPI cards. */
function split(text) {
  const at = text.lastIndexOf(' ')
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)]
}

function renderHealth(state) {
  const pills = [
    ['Kafka', state.health.kafka.up, state.health.kafka.detail],
    ...(state.health.registry ? [['Registry', state.health.registry.up, state.health.registry.detail]] : []),
    ...state.jobs.map((job) => [
      job.job,
      job.state === 'RUNNING'
        ? true
        : job.state === 'STARTING' || job.state === 'CREATED'
          ? 'starting'
          : job.waiting
            ? 'waiting'
            : false,
      job.waiting
        ? `${job.state} since ${new Date(job.waiting.sinceMs).toLocaleTimeString()}: ${job.waiting.reason}`
        : `${job.state}, ${job.tasks} tasks` +
          (job.resumes > 0 ? `, resumed after ${job.resumes} outage(s)` : ''),
    ]),
  ]
  const html = pills
    .map(
      ([name, up, detail]) =>
        `<span class="pill" data-up="${up}" title="${escapeHtml(detail)}">${name}</span>`,
    )
    .join('')
  const health = $('#health')
  if (health.innerHTML !== html) health.innerHTML = html
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function renderKpis(state) {
  const last = model.samples.at(-1)
  setKpi('kpi-in', formatCount(last?.inPerSec ?? 0))
  setKpi('kpi-out', formatCount(last?.outPerSec ?? 0))
  const lag = state.jobs.reduce((sum, job) => sum + (job.lag ?? 0), 0)
  setKpi('kpi-lag', formatCount(lag), 'records', lag > 10_000)
  const p50 = Math.max(...state.jobs.map((job) => job.p50Ms ?? -1))
  const p99 = Math.max(...state.jobs.map((job) => job.p99Ms ?? -1))
  const [p50Value, p50Unit] = split(p50 < 0 ? '– ' : formatMs(p50))
  const [p99Value, p99Unit] = split(p99 < 0 ? '– ' : formatMs(p99))
  setKpi('kpi-p50', p50Value, `${p50Unit} slowest job`)
  setKpi('kpi-p99', p99Value, `${p99Unit} slowest job`)
  const deadLetters = state.jobs.reduce((sum, job) => sum + job.deadLetters, 0)
  const late = state.jobs.reduce((sum, job) => sum + job.late, 0)
  setKpi('kpi-dlq', formatCount(deadLetters), 'total', deadLetters > 0)
  setKpi('kpi-late', formatCount(late), 'total', late > 0)
}

function renderTimeCharts(state) {
  const jobs = state.jobs.map((job) => job.job)
  const throughput = [
    { name: 'events in', color: '#58a6ff', points: model.samples.map((s) => [s.timeMs, s.inPerSec]) },
    { name: 'results out', color: '#3fb950', points: model.samples.map((s) => [s.timeMs, s.outPerSec]) },
  ]
  setLegend(
    'legend-throughput',
    throughput.map((s) => [s.name, s.color]),
  )
  lineChart($('[data-chart="throughput"]'), throughput, formatCount)
  const perJob = (field) =>
    jobs.map((job, i) => ({
      name: job,
      color: colorOf(job, i),
      points: model.samples.map((s) => [s.timeMs, s.jobs[job]?.[field] ?? null]),
    }))
  const latency = perJob('p99Ms')
  setLegend(
    'legend-latency',
    latency.map((s) => [s.name, s.color]),
  )
  lineChart($('[data-chart="latency"]'), latency, (v) => formatMs(v))
  const lag = perJob('lag')
  setLegend(
    'legend-lag',
    lag.map((s) => [s.name, s.color]),
  )
  lineChart($('[data-chart="lag"]'), lag, formatCount)
}

function windowLabel(startMs) {
  return clock(startMs)
}

function renderCounts(analytics) {
  const seen = new Set(analytics.eventCounts.flatMap((w) => Object.keys(w.counts)))
  const names = [
    ...analytics.eventTypes.filter((t) => seen.has(t)),
    ...[...seen].filter((t) => !analytics.eventTypes.includes(t)).sort(),
  ]
  const colors = names.map(
    (name) => PALETTE[(analytics.eventTypes.indexOf(name) + PALETTE.length) % PALETTE.length],
  )
  setLegend(
    'legend-counts',
    names.map((name, i) => [name, colors[i]]),
  )
  stackedColumns(
    $('[data-chart="event-counts"]'),
    analytics.eventCounts.map((w) => ({ label: windowLabel(w.startMs), values: w.counts })),
    names,
    colors,
  )
}

function renderRevenue(analytics) {
  const windows = analytics.revenue
  const newest = windows.at(-1)
  const table = $('#revenue')
  $('#revenue-empty').hidden = newest !== undefined
  if (newest === undefined) return
  const currencies = Object.keys(newest.byCurrency).sort(
    (a, b) => newest.byCurrency[b].purchases - newest.byCurrency[a].purchases,
  )
  const body = table.querySelector('tbody')
  const rows = currencies.map((currency) => {
    const figures = newest.byCurrency[currency]
    const money = (v) =>
      currency === 'unknown'
        ? decimal.format(v)
        : new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(v)
    return `<tr data-currency="${escapeHtml(currency)}"><td>${escapeHtml(currency)}</td><td class="num">${money(figures.revenue)}</td><td class="num">${number.format(figures.purchases)}</td><td class="num">${money(figures.revenue / Math.max(1, figures.purchases))}</td><td><canvas class="spark"></canvas></td></tr>`
  })
  body.innerHTML = rows.join('')
  currencies.forEach((currency, i) => {
    const canvas = body.querySelectorAll('canvas.spark')[i]
    sparkline(
      canvas,
      windows.map((w) => w.byCurrency[currency]?.revenue ?? 0),
      PALETTE[i % PALETTE.length],
    )
  })
  table.dataset.rows = String(currencies.length)
  table.querySelector('th:nth-child(2)').textContent =
    `revenue ${windowLabel(newest.startMs)}–${windowLabel(newest.endMs)}`
}

function renderSessions(state) {
  const sessions = state.analytics.sessions
  // Over the complete buckets of the last minute (the newest one is still filling).
  const complete = sessions.buckets.slice(-7, -1)
  const spanMs =
    complete.length > 1
      ? complete.at(-1).startMs - complete[0].startMs + (complete[1].startMs - complete[0].startMs)
      : 0
  const perMinute = spanMs > 0 ? (complete.reduce((n, b) => n + b.closed, 0) * 60_000) / spanMs : null
  // Exact: each task of the sessions job counts the sessions it holds open at every commit.
  const job = state.jobs.find((j) => j.job === 'sessions')
  document.querySelector('#sessions-open .value').textContent = formatCount(job ? job.openWindows : null)
  document.querySelector('#sessions-rate .value').textContent = formatCount(perMinute)
  document.querySelector('#sessions-closed .value').textContent = formatCount(sessions.closed)
  document.querySelector('#sessions-duration .value').textContent = formatMs(sessions.averageDurationMs)
  stackedColumns(
    $('[data-chart="sessions"]'),
    sessions.buckets.map((b) => ({ label: windowLabel(b.startMs), values: { closed: b.closed } })),
    ['closed'],
    ['#d2a8ff'],
  )
}

function renderTopUsers(analytics) {
  const top = analytics.topUsers
  const table = $('#top-users')
  $('#top-empty').hidden = top !== null
  if (top === null) return
  $('#top-window').textContent = `window ${windowLabel(top.startMs)}–${windowLabel(top.endMs)} (top-users)`
  const most = Math.max(1, ...top.rows.map((r) => r.events))
  table.querySelector('tbody').innerHTML = top.rows
    .map(
      (r) =>
        `<tr><td class="num">${r.rank}</td><td>${escapeHtml(r.user)}</td><td class="num">${number.format(r.events)}</td><td class="bar"><div style="width:${(100 * r.events) / most}%"></div></td></tr>`,
    )
    .join('')
  table.dataset.rows = String(top.rows.length)
}

/** What a job's p50 and p99 measure: window results from when the window could close. */
const LATENCY_KINDS = { 'window-result': 'window result', 'event-time': 'event time' }

function renderJobs(state) {
  const table = $('#jobs')
  table.querySelector('tbody').innerHTML = state.jobs
    .map(
      (job, i) =>
        `<tr data-job="${escapeHtml(job.job)}"><td><span style="color:${colorOf(job.job, i)}">●</span> ${escapeHtml(job.job)}</td>` +
        `<td><span class="state" data-state="${job.state}">${job.state}</span></td>` +
        `<td class="num">${job.tasks}</td><td class="num">${formatCount(job.inPerSec)}</td><td class="num">${formatCount(job.outPerSec)}</td>` +
        `<td class="num">${formatCount(job.lag)}</td><td data-latency="${job.latency ?? ''}">${LATENCY_KINDS[job.latency] ?? '–'}</td>` +
        `<td class="num">${formatMs(job.p50Ms)}</td><td class="num">${formatMs(job.p99Ms)}</td>` +
        `<td class="num">${formatCount(job.deadLetters)}</td><td class="num">${formatCount(job.late)}</td>` +
        `<td class="num">${formatCount(job.commits)}</td><td class="num">${formatCount(job.aborts)}</td><td class="num">${formatCount(job.rebalances)}</td>` +
        `<td class="num">${formatCount(job.resumes)}</td></tr>`,
    )
    .join('')
  table.dataset.rows = String(state.jobs.length)
  table.dataset.windowLatency = String(state.jobs.filter((job) => job.latency === 'window-result').length)
}

function render() {
  const state = model.state
  if (state === null) return
  $('#title').textContent = state.title === 'freshet' ? 'live pipeline' : state.title
  renderHealth(state)
  renderKpis(state)
  renderTimeCharts(state)
  renderCounts(state.analytics)
  renderRevenue(state.analytics)
  renderSessions(state)
  renderTopUsers(state.analytics)
  renderJobs(state)
  $('#rows').textContent = number.format(state.analytics.rows)
  $('#updated').textContent = clock(state.timeMs)
}

function connect() {
  const connection = $('#connection')
  const events = new EventSource('/api/events')
  events.addEventListener('snapshot', (e) => {
    const snapshot = JSON.parse(e.data)
    model.samples = snapshot.samples
    model.state = snapshot
    connection.dataset.state = 'live'
    connection.textContent = 'live'
    render()
  })
  events.addEventListener('sample', (e) => {
    const { sample, state } = JSON.parse(e.data)
    model.samples.push(sample)
    while (model.samples.length > 0 && model.samples[0].timeMs < sample.timeMs - model.historyMs)
      model.samples.shift()
    model.state = state
    connection.dataset.state = 'live'
    connection.textContent = `live · ${clock(sample.timeMs)}`
    render()
  })
  events.addEventListener('error', () => {
    connection.dataset.state = 'lost'
    connection.textContent = 'connection lost, retrying…'
  })
}

new ResizeObserver(() => render()).observe(document.body)
connect()
