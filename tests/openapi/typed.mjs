// Every response of every operation in an OpenAPI document is typed: a body
// (except 204, 304 and redirects) with a schema that says something, so that a
// generated client types every response. Usage: node typed.mjs openapi.json
import fs from 'node:fs';

const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const resolve = (node) => {
  while (node && node.$ref) {
    const parts = node.$ref.replace(/^#\//, '').split('/');
    node = parts.reduce((n, k) => n?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return node;
};
const untyped = [];
let checked = 0;
for (const [path, ops] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
    for (const [status, ref] of Object.entries(op.responses ?? {})) {
      ++checked;
      const where = `${method.toUpperCase()} ${path} ${status}`;
      if (status === '204' || status === '304' || /^30[1237]$/.test(status)) continue;
      const response = resolve(ref);
      const content = response?.content;
      if (!content || !Object.keys(content).length) { untyped.push(`${where}: no body described`); continue; }
      for (const [type, media] of Object.entries(content)) {
        const schema = resolve(media.schema);
        const says = schema && (schema.type || schema.properties || schema.items || schema.allOf ||
          schema.oneOf || schema.anyOf || schema.$ref || type.startsWith('text/') ||
          schema.format === 'binary');
        if (!says) untyped.push(`${where} ${type}: no schema`);
      }
    }
  }
}
for (const u of untyped) console.log(`untyped: ${u}`);
console.log(`openapi: ${checked} responses checked, ${untyped.length} untyped`);
process.exit(untyped.length ? 1 : 0);
