"""The Jinja2 template of ``datasheet.html`` (kept in Python so that it ships with the code)."""

from __future__ import annotations

__all__ = ["DATASHEET_TEMPLATE"]

DATASHEET_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Datasheet: {{ device.name }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th { background: #f0f3f7; } td.l, th.l { text-align: left; }
tr.bad td { background: #fdecea; } .pass { color: #1e7b34; font-weight: bold; }
.fail { color: #b03a2e; font-weight: bold; }
.maps img { max-width: 640px; margin: 0.5em; border: 1px solid #ddd; }
.fits { display: flex; flex-wrap: wrap; gap: 4px; } svg.fit { border: 1px solid #eee; }
details { margin: 0.6em 0; } summary { cursor: pointer; font-weight: bold; }
</style>
</head>
<body>
<h1>Datasheet: {{ device.name }}</h1>
<p class="meta">{{ device.num_qubits }} qubits, {{ device.couplers|length }} couplers.
Source: {{ source }}. Created: {{ created }}. Schema: <code>{{ schema }}</code>.
Every value below is measured, with its standard error and the method that produced it.</p>

<h2>Summary</h2>
<table>
<tr><th class="l">metric</th><th>median</th><th>16th-84th percentile</th><th>min</th><th>max</th>
<th>unit</th><th>trusted fits</th>{% if has_injected %}<th>injected median</th>{% endif %}</tr>
{% for row in summary %}
<tr><td class="l">{{ row.label }}</td><td>{{ row.median }}</td><td>{{ row.spread }}</td>
<td>{{ row.min }}</td><td>{{ row.max }}</td><td>{{ row.unit }}</td>
<td>{{ row.good }} / {{ row.count }}</td>
{% if has_injected %}<td>{{ row.injected }}</td>{% endif %}</tr>
{% endfor %}
</table>

{% if qv %}
<h2>Quantum volume: {{ quantum_volume }}</h2>
<p>Pass rule: mean heavy-output probability h over the model circuits with
h - 2 sigma &gt; 2/3, sigma = sqrt(h(1-h)/n_circuits) (Cross et al., PRA 100, 032328, 2019).</p>
<table><tr><th>width</th><th>circuits</th><th>h</th><th>stderr</th><th>h - 2 sigma</th>
<th>ideal h</th><th>result</th></tr>
{% for r in qv %}
<tr><td>{{ r.width }}</td><td>{{ r.num_circuits }}</td>
<td>{{ "%.4f"|format(r.heavy_output_probability) }}</td>
<td>{{ "%.4f"|format(r.stderr) }}</td><td>{{ "%.4f"|format(r.lower_bound) }}</td>
<td>{{ "%.4f"|format(r.ideal_heavy_output_probability) }}</td>
<td class="{{ 'pass' if r.passed else 'fail' }}">{{ 'pass' if r.passed else 'fail' }}</td></tr>
{% endfor %}
</table>
{% endif %}

{% if comparison %}
<h2>Recovered vs injected</h2>
<p>The emulated device's noise model injects these values; the suite does not read them.</p>
<table><tr><th class="l">metric</th><th>compared</th><th>median |relative error|</th>
<th>within 3 standard errors</th></tr>
{% for row in comparison %}
<tr><td class="l">{{ row.name }}</td><td>{{ row.count }}</td><td>{{ row.median_rel }}</td>
<td>{{ row.within }}</td></tr>
{% endfor %}
</table>
{% endif %}

{% if maps %}
<h2>Device maps</h2>
<div class="maps">
{% for m in maps %}<figure><img alt="{{ m.title }}" src="data:image/png;base64,{{ m.data }}">
<figcaption>{{ m.title }}</figcaption></figure>{% endfor %}
</div>
{% endif %}

<h2>Per qubit</h2>
<table><tr><th>qubit</th>{% for c in qubit_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in qubit_rows %}
<tr class="{{ 'bad' if row.bad else '' }}"><td>{{ row.qubits }}</td>
{% for v in row.cells %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}
</table>

{% if coupler_rows %}
<h2>Per coupler</h2>
<table><tr><th>coupler</th>{% for c in coupler_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in coupler_rows %}
<tr class="{{ 'bad' if row.bad else '' }}"><td>{{ row.qubits }}</td>
{% for v in row.cells %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% endif %}

{% if bad %}
<h2>Fits flagged as bad</h2>
<table><tr><th class="l">metric</th><th class="l">qubits</th><th class="l">reason</th></tr>
{% for b in bad %}<tr><td class="l">{{ b.name }}</td><td class="l">{{ b.qubits }}</td>
<td class="l">{{ b.reason }}</td></tr>{% endfor %}
</table>
{% endif %}

<h2>Fits</h2>
<p>Points: measured means with standard errors; line: the fit (green: trusted, red: bad fit).</p>
{% for group in fits %}
<details{% if loop.first %} open{% endif %}>
<summary>{{ group.title }} ({{ group.svgs|length }})</summary>
<div class="fits">{% for svg in group.svgs %}{{ svg|safe }}{% endfor %}</div>
</details>
{% endfor %}

<h2>Methods</h2>
<table><tr><th class="l">metric</th><th class="l">method</th></tr>
{% for name, method in methods %}
<tr><td class="l">{{ name }}</td><td class="l">{{ method }}</td></tr>{% endfor %}
</table>
{% if timings %}<p class="meta">Time per experiment: {{ timings }}.</p>{% endif %}
</body>
</html>
"""
