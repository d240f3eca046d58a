// What GraphQL Code Generator, Apollo and GraphiQL do first with a server: introspect it with
// graphql-js's getIntrospectionQuery, build a client schema, and validate documents against it.
//
//   node introspection.mjs URL README.md     check the live server at URL and README's queries
//   node introspection.mjs --print DIR       write the introspection query texts (test fixtures)
//
// Exits non-zero, saying why, on the first failure.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  buildClientSchema, getIntrospectionQuery, parse, validate, Kind, printSchema, version,
} from 'graphql';

const VARIANTS = {
  'default': {},
  'no-descriptions': { descriptions: false },
  'all-options': {
    descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true,
    inputValueDeprecation: true,
  },
  'all-options-one-of': {
    descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true,
    inputValueDeprecation: true, oneOf: true,
  },
};

function fail(message) {
  console.error(`FAIL ${message}`);
  process.exit(1);
}

const [first, second] = process.argv.slice(2);
if (first === '--print') {
  for (const [name, options] of Object.entries(VARIANTS)) {
    writeFileSync(`${second}/${name}.graphql`, getIntrospectionQuery(options));
  }
  process.exit(0);
}
if (!first || !second) fail('usage: node introspection.mjs URL README.md');

let schema;
for (const [name, options] of Object.entries(VARIANTS)) {
  const response = await fetch(first, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: getIntrospectionQuery(options), operationName: 'IntrospectionQuery' }),
  });
  if (response.status !== 200) fail(`${name}: HTTP ${response.status}`);
  const body = await response.json();
  if (body.errors) fail(`${name}: ${JSON.stringify(body.errors)}`);
  try {
    schema = buildClientSchema(body.data);
  } catch (e) {
    fail(`${name}: buildClientSchema: ${e.message}`);
  }
}
const types = Object.keys(schema.getTypeMap()).length;
if (!printSchema(schema).includes('type Resource')) fail('the client schema has no Resource type');

// Every ```graphql block of the README, each operation validated on its own (the editing block
// lists several anonymous operations, one per line).
const readme = readFileSync(second, 'utf8');
const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
if (blocks.length === 0) fail('no ```graphql block in the README');
let operations = 0;
for (const block of blocks) {
  let document;
  try {
    document = parse(block);
  } catch (e) {
    fail(`README block does not parse: ${e.message}\n${block}`);
  }
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  for (const op of document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
    const errors = validate(schema, { kind: Kind.DOCUMENT, definitions: [op, ...fragments] });
    if (errors.length) {
      fail(`README operation is invalid: ${errors.map((e) => e.message).join('; ')}\n${block}`);
    }
    operations += 1;
  }
}
console.log(`ok graphql-js ${version}: ${Object.keys(VARIANTS).length} introspection queries, ` +
  `${types} types, ${operations} README operations valid`);
