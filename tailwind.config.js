/** @type {import('tailwindcss').Config} */
module.exports = {
  // Go files too: format.go builds class names for statuses and log levels.
  content: ['./views/**/*.templ', './views/**/*.go', './public/app.js'],
  theme: {
    extend: {},
  },
  plugins: [],
};
