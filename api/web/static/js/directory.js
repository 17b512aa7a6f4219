// The directory of organisations and professionals (GET /v1/directory/…): what the pickers
// offer and how organisations and professionals are named. A page without it (an older store,
// a role that may not read it) still works: it names them by their ids.

const EMPTY = { organisations: [], professionals: [] };

/** Every entry of one list, page by page (``key``: the list's name in the answer). */
async function every(get, path, key) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 100; page += 1) {
    const answer = await get(path, cursor ? { limit: 1000, cursor } : { limit: 1000 });
    items.push(...answer[key]);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** The whole directory, or an empty one if it cannot be read. */
export async function loadDirectory(get) {
  try {
    const [organisations, professionals] = await Promise.all([
      every(get, "/v1/directory/organisations", "organisations"),
      every(get, "/v1/directory/professionals", "professionals"),
    ]);
    return { organisations, professionals };
  } catch {
    return EMPTY;
  }
}
