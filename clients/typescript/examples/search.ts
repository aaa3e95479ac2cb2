/** What a frontend writes with the client; compiled by the test suite, so it stays true. */
import { createNewsarchiveClient, describeProblem, type SearchHit } from "../src/index";

export async function newestBridgeTitles(baseUrl: string): Promise<string[]> {
  const api = createNewsarchiveClient(baseUrl);
  const { data, error } = await api.GET("/search", {
    params: { query: { q: "bridge", sort: "newest", facets: ["source"], highlight: true } },
  });
  if (error) throw new Error(describeProblem(error));
  const titles = data.hits.map((hit: SearchHit) => hit.title ?? "(untitled)");
  if (data.next) {
    const more = await api.GET("/search", {
      params: { query: { q: "bridge", sort: "newest", cursor: data.next } },
    });
    titles.push(...(more.data?.hits ?? []).map((hit) => hit.title ?? "(untitled)"));
  }
  return titles;
}

export async function entityMonths(baseUrl: string, slug: string): Promise<[string, number][]> {
  const api = createNewsarchiveClient(baseUrl);
  const { data, error } = await api.GET("/entities/{slug}", { params: { path: { slug } } });
  if (error) throw new Error(describeProblem(error));
  return data.months.map((month) => [month.month, month.count]);
}
