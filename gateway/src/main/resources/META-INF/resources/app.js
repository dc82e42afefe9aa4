// The gateway's page: sampling with live previews from the server-sent events of POST /v1/samples,
// the models with their production and candidate versions (promote, roll back), and the training
// runs with their latest sample grid (cancel). Plain browser APIs, no build step.
const $ = (id) => document.getElementById(id);
const keyInput = $('api-key');
keyInput.value = localStorage.getItem('ddpm-api-key') || '';
keyInput.addEventListener('change', () => { localStorage.setItem('ddpm-api-key', keyInput.value); loadModels(); });
const headers = (extra = {}) => ({ 'X-API-Key': keyInput.value, ...extra });

// One line for a problem+json body, whether a response or an SSE error event carries it.
function describe(p, status) { return `${p.title || status}: ${p.detail || ''}`; }

async function problem(response) {
  try { return describe(await response.json(), response.status); }
  catch { return `HTTP ${response.status}`; }
}

async function loadModels() {
  const select = $('model');
  const response = await fetch('/v1/models', { headers: headers() });
  if (!response.ok) { $('error').textContent = await problem(response); return; }
  $('error').textContent = '';
  const models = await response.json();
  const chosen = select.value; // a reload keeps the user's choice
  select.innerHTML = '';
  for (const m of models) {
    const option = document.createElement('option');
    option.value = m.name;
    option.textContent = `${m.name} (${m.production || m.latestVersion})${m.shared ? ' [shared]' : ''}`;
    select.appendChild(option);
  }
  if (models.some((m) => m.name === chosen)) select.value = chosen;
}

function image(src, title) {
  const img = document.createElement('img');
  img.src = src; img.title = title; img.alt = title;
  return img;
}

// Server-sent events from a POST: read the body stream, split on blank lines.
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
      let name = 'message', data = '';
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5);
      }
      if (data) yield { name, data: JSON.parse(data) };
    }
  }
}

$('generate').addEventListener('click', async () => {
  const button = $('generate');
  button.disabled = true;
  $('error').textContent = ''; $('status').textContent = 'queued'; $('progress').value = 0;
  const images = $('images');
  images.innerHTML = '';
  const count = Number($('count').value);
  const previews = [];
  for (let i = 0; i < count; i++) { previews.push(image('', `image ${i}`)); images.appendChild(previews[i]); }
  const body = {
    model: $('model').value, sampler: $('sampler').value, steps: Number($('steps').value), count,
    seed: Number($('seed').value), previewEvery: 5, output: $('output').value
  };
  if (body.sampler === 'ddim') body.eta = Number($('eta').value);
  if ($('spacing').value) body.spacing = $('spacing').value;
  if ($('threshold').value) body.threshold = Number($('threshold').value);
  try {
    const response = await fetch('/v1/samples', {
      method: 'POST', headers: headers({ 'Content-Type': 'application/json', 'Accept': 'text/event-stream' }),
      body: JSON.stringify(body)
    });
    if (!response.ok) { $('error').textContent = await problem(response); return; }
    for await (const event of events(response)) {
      if (event.name === 'progress') {
        $('progress').max = event.data.totalSteps; $('progress').value = event.data.step;
        $('status').textContent = event.data.queuePosition > 0 ? `waiting (position ${event.data.queuePosition})`
          : `step ${event.data.step} of ${event.data.totalSteps}, about ${event.data.etaSeconds.toFixed(1)} s left`;
      } else if (event.name === 'preview') {
        previews[event.data.index].src = 'data:image/png;base64,' + event.data.png;
      } else if (event.name === 'result') {
        images.innerHTML = '';
        for (const file of event.data.images) {
          const link = document.createElement('a');
          link.href = `data:${file.mediaType};base64,${file.data}`;
          link.download = `${event.data.model}-${event.data.version}-${file.index}.${file.mediaType.split('/')[1]}`;
          if (file.mediaType === 'video/mp4') {
            const video = document.createElement('video');
            Object.assign(video, { src: link.href, autoplay: true, loop: true, muted: true, controls: true });
            video.title = 'the reverse process, MP4';
            link.appendChild(video);
          } else {
            link.appendChild(image(link.href, file.mediaType === 'image/gif' ? 'the reverse process, GIF' : `result ${file.index}`));
          }
          link.className = 'result';
          images.appendChild(link);
        }
        $('status').textContent = `done: ${event.data.model} ${event.data.version} in ${event.data.seconds.toFixed(1)} s`;
      } else if (event.name === 'error') {
        $('error').textContent = describe(event.data, event.data.status);
      }
    }
  } catch (e) {
    $('error').textContent = String(e);
  } finally {
    button.disabled = false;
  }
});

// The newest quality measurement of a run: FLD against the real-vs-real floor, recognisable share, memorisation.
function quality(run) {
  const q = run.quality;
  if (!q) return '';
  let text = `step ${run.qualityStep}: FLD ${q.quality_fld.toFixed(2)} (floor ${q.quality_fld_floor.toFixed(2)}), `
    + `recognisable ${(100 * q.quality_recognisable).toFixed(0)} % (real ${(100 * q.quality_real_recognisable).toFixed(0)} %)`;
  if (q.quality_nearest_train != null) {
    text += `, nearest training image ${q.quality_nearest_train.toFixed(3)} (real ${q.quality_real_nearest_train.toFixed(3)})`;
  }
  return text;
}

// The quality gate's verdict on the version a run trained, when it has one.
function verdict(run) {
  const e = run.evaluation;
  if (!e) return '';
  return `gate: ${e.passed ? 'passed' : 'not passed'}, ${e.promoted ? 'promoted' : 'not promoted'} (${e.reason})`;
}

// A button in a table row that calls the API and reloads the table; a refusal shows in `errorBox`.
function action(cell, label, className, request, reload, errorBox) {
  const button = document.createElement('button');
  button.textContent = label; button.className = className;
  button.addEventListener('click', async () => {
    button.disabled = true;
    $(errorBox).textContent = '';
    const response = await fetch(request.url, {
      method: request.method, headers: headers(request.body ? { 'Content-Type': 'application/json' } : {}),
      body: request.body ? JSON.stringify(request.body) : undefined
    });
    if (!response.ok) $(errorBox).textContent = await problem(response);
    await reload();
  });
  cell.appendChild(button);
  return button;
}

async function loadRuns() {
  const response = await fetch('/v1/trainings', { headers: headers() });
  const tbody = $('runs');
  tbody.innerHTML = '';
  if (!response.ok) { tbody.innerHTML = `<tr><td colspan="8" class="error">${await problem(response)}</td></tr>`; return; }
  for (const run of await response.json()) {
    const row = tbody.insertRow();
    row.dataset.run = run.runId;
    for (const text of [run.runId, run.modelName, run.state, `${run.step} / ${run.totalSteps}`,
                        run.loss == null ? '' : run.loss.toFixed(4), [quality(run), verdict(run)].filter((t) => t).join('; ')]) {
      row.insertCell().textContent = text;
    }
    row.cells[2].className = 'state';
    const cell = row.insertCell();
    const actions = row.insertCell();
    if (run.state === 'requested' || run.state === 'running') {
      action(actions, 'Cancel', 'cancel', { method: 'DELETE', url: `/v1/trainings/${run.runId}` }, loadRuns, 'runs-error');
    }
    const grid = await fetch(run.gridUrl, { headers: headers() });
    if (grid.ok) cell.appendChild(image(URL.createObjectURL(await grid.blob()), 'latest grid'));
  }
}
$('refresh').addEventListener('click', loadRuns);

// Each model's production and candidate versions: promote the candidate, or roll production back.
async function loadModelTable() {
  const response = await fetch('/v1/models', { headers: headers() });
  const tbody = $('model-rows');
  tbody.innerHTML = '';
  if (!response.ok) { $('models-error').textContent = await problem(response); return; }
  for (const m of await response.json()) {
    const row = tbody.insertRow();
    row.dataset.model = m.name;
    const canary = m.canary ? `${m.canary.version} (${m.canary.percent} %)` : '';
    // A model another key shared with this one: it may be sampled here, not changed.
    const label = m.shared ? `${m.name} (shared)` : m.name;
    for (const [text, name] of [[label, 'name'], [m.production || '', 'production'], [m.candidate || '', 'candidate'],
                                [canary, 'canary'], [m.versions.join(', '), 'versions']]) {
      const cell = row.insertCell();
      cell.textContent = text; cell.className = name;
    }
    const actions = row.insertCell();
    if (m.shared) continue;
    const promote = action(actions, 'Promote candidate', 'promote', {
      method: 'POST', url: `/v1/models/${m.name}/promote`, body: { version: m.candidate, reason: 'promoted on the page' }
    }, loadModelTable, 'models-error');
    promote.disabled = !m.candidate;
    action(actions, 'Roll back', 'rollback', {
      method: 'POST', url: `/v1/models/${m.name}/rollback`, body: { reason: 'rolled back on the page' }
    }, loadModelTable, 'models-error');
  }
}
$('refresh-models').addEventListener('click', loadModelTable);

function show(view) {
  for (const name of ['generate', 'models', 'trainings']) {
    $(`view-${name}`).hidden = name !== view;
    $(`nav-${name}`).classList.toggle('active', name === view);
  }
  if (view === 'trainings') loadRuns();
  if (view === 'models') loadModelTable();
}
window.addEventListener('hashchange', () => show(location.hash.slice(1) || 'generate'));
show(location.hash.slice(1) || 'generate');
loadModels();

// Each sampler's own default step count when it is chosen (the ODE solvers need far fewer).
$('sampler').addEventListener('change', () => {
  $('steps').value = $('sampler').selectedOptions[0].dataset.steps;
});
