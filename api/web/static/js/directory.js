// The directory of organisations and professionals (GET /v1/directory/…): what the pickers
// offer and how organisations and professionals are named. A page without it (an older store,
// a role that may not read it) still works: it names them by their ids.

const EMPTY = { organisations: [], professionals: [] };

async function every(get, path) {
  const items = [];
  let after = null;
  for (let page = 0; page < 100; page += 1) {
    const answer = await get(path, after ? { after } : {});
    const rows = Array.isArray(answer) ? answer : answer.items || [];
    items.push(...rows);
    after = Array.isArray(answer) ? null : answer.next_after || answer.next || null;
    if (!after || !rows.length) break;
  }
  return items;
}

/** The whole directory, or an empty one if it cannot be read. */
export async function loadDirectory(get) {
  try {
    const [organisations, professionals] = await Promise.all([
      every(get, "/v1/directory/organisations"),
      every(get, "/v1/directory/professionals"),
    ]);
    return { organisations, professionals };
  } catch {
    return EMPTY;
  }
}
