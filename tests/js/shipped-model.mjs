// @ts-check
/**
 * A published model folder for the Node tests: its card, and its files by the card's role
 * names, read from models/ as the browser would fetch them.
 */
import { readFileSync } from "node:fs";

/**
 * @param {string} name the model folder under models/ ("ts-forecaster", "melody")
 */
export function shippedModel(name) {
  const dir = new URL(`../../models/${name}/`, import.meta.url);
  const card = JSON.parse(readFileSync(new URL("card.json", dir), "utf8"));
  /** @param {string} role a key of the card's `files` */
  const bytes = (role) => readFileSync(new URL(card.files[role], dir));
  /** @param {string} role a key of the card's `files` naming a JSON file */
  const json = (role) => JSON.parse(bytes(role).toString("utf8"));
  return { card, bytes, json };
}
