// Apollo Client 4 with its persisted-query link, as a site would set it up, against a live
// Chorus: the first run of a query sends its hash alone, is told PersistedQueryNotFound and
// retries with the text; later runs (a fresh client, so no cache) send the hash alone by GET.
//
//   node apq.mjs URL
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const url = process.argv[2];
const sent = [];
const recordingFetch = async (input, init) => {
  const u = new URL(typeof input === 'string' ? input : input.url);
  const body = init?.body ? JSON.parse(init.body) : null;
  const ext = body?.extensions ?? (u.searchParams.get('extensions') && JSON.parse(u.searchParams.get('extensions')));
  sent.push({ method: init?.method ?? 'GET', hashOnly: !(body?.query ?? u.searchParams.get('query')), hash: ext?.persistedQuery?.sha256Hash });
  return fetch(input, init);
};

function client() {
  const persisted = new PersistedQueryLink({
    sha256: (text) => createHash('sha256').update(text).digest('hex'),
    useGETForHashedQueries: true,
  });
  return new ApolloClient({
    link: persisted.concat(new HttpLink({ uri: url, fetch: recordingFetch })),
    cache: new InMemoryCache(),
  });
}

const QUERY = gql`query Locales { locales { code name } }`;
const first = await client().query({ query: QUERY });
const second = await client().query({ query: QUERY });
for (const result of [first, second]) {
  if (result.error || !result.data?.locales?.length) {
    console.error(`FAIL ${JSON.stringify(result)}`);
    process.exit(1);
  }
}
console.log(JSON.stringify({ locales: first.data.locales.map((l) => l.code), sent }));
